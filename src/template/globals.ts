// SAM's Globals section: each resource of the type gets the global properties it does not set
// itself; mappings merge key by key, lists are the global items then the resource's, and anything
// else the resource sets wins (the SAM specification's "Globals" section).
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const SECTIONS: Readonly<Record<string, string>> = {
  Function: 'AWS::Serverless::Function',
  Api: 'AWS::Serverless::Api',
  HttpApi: 'AWS::Serverless::HttpApi',
  SimpleTable: 'AWS::Serverless::SimpleTable',
  StateMachine: 'AWS::Serverless::StateMachine',
  LayerVersion: 'AWS::Serverless::LayerVersion',
};

const isIntrinsic = (v: Obj): boolean => {
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'));
};

export function mergeGlobal(global: unknown, local: unknown): unknown {
  if (local === undefined) return structuredClone(global);
  if (isObj(global) && isObj(local) && !isIntrinsic(global) && !isIntrinsic(local)) {
    const out: Obj = { ...global };
    for (const [k, v] of Object.entries(local)) out[k] = mergeGlobal(global[k], v);
    return out;
  }
  if (Array.isArray(global) && Array.isArray(local)) return [...global, ...local];
  return local;
}

/** The Resources with Globals applied (a new object; the template is left as it was). */
export function applyGlobals(resources: Obj, globals: unknown): Obj {
  if (!isObj(globals)) return resources;
  const out: Obj = {};
  for (const [id, r] of Object.entries(resources)) {
    const section = isObj(r)
      ? Object.keys(SECTIONS).find((s) => SECTIONS[s] === r.Type)
      : undefined;
    const global = section ? globals[section] : undefined;
    out[id] =
      isObj(global) && isObj(r) ? { ...r, Properties: mergeGlobal(global, r.Properties ?? {}) } : r;
  }
  return out;
}
