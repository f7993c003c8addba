// SAM writes a method's security as separate requirements (`[{api_key: []}, {MyAuth: []}]`) and
// marks "no authorizer" with `NONE`; API Gateway's import applies every requirement of the list to
// the method (the authorizer and the key). The local gateway's parser reads one requirement per
// method, so the list is merged into one here, with NONE removed, as the import applies it.
// A field a template warning already names (`warned`) is left out: the gateway does not run it, and
// its own warning would name it a second time, at a line of a document the user never wrote.
import type { KeyPath } from '../core/key-path.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function gatewayDocument(doc: Obj, warned: readonly KeyPath[] = []): Obj {
  const out = structuredClone(doc);
  for (const path of warned) {
    const parent = path.slice(0, -1).reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), out);
    if (isObj(parent)) delete parent[path.at(-1)!];
  }
  numericTtls(out);
  for (const item of Object.values(isObj(out.paths) ? out.paths : {})) {
    if (!isObj(item)) continue;
    for (const method of Object.values(item)) {
      if (!isObj(method) || !Array.isArray(method.security)) continue;
      const merged: Obj = {};
      for (const requirement of method.security as unknown[])
        if (isObj(requirement))
          for (const [k, v] of Object.entries(requirement)) if (k !== 'NONE') merged[k] = v;
      method.security = Object.keys(merged).length ? [merged] : [];
    }
  }
  return out;
}

/**
 * A Number parameter becomes a string where it is used (CloudFormation's Ref), so a TTL from
 * `!Ref CacheSeconds` reaches API Gateway as "60", which its import reads as the number.
 */
function numericTtls(doc: Obj): void {
  const components = isObj(doc.components) ? doc.components.securitySchemes : undefined;
  for (const schemes of [doc.securityDefinitions, components])
    for (const scheme of Object.values(isObj(schemes) ? schemes : {})) {
      const ext = isObj(scheme) ? scheme['x-amazon-apigateway-authorizer'] : undefined;
      if (isObj(ext) && typeof ext.authorizerResultTtlInSeconds === 'string')
        if (/^\d+$/.test(ext.authorizerResultTtlInSeconds))
          ext.authorizerResultTtlInSeconds = Number(ext.authorizerResultTtlInSeconds);
    }
}
