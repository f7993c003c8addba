// `tollgate serve --template FILE`: reads the template and the files it names, and turns every
// problem into one line with FILE:LINE:COL and the key path (Resources.NAME.Properties.KEY).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { formatKeyPath, type KeyPath } from '../core/key-path.js';
import { parseCloudFormation, type ParsedTemplate } from './cfn-yaml.js';
import { TemplateError } from './errors.js';
import { gatewayDocument } from './gateway-document.js';
import { TemplateIssue } from './issue.js';
import { readCloudFormation, type TemplateApp } from './read-template.js';
import { compileServerless, serverlessApp } from './serverless-load.js';
import { isServerlessService, type CompiledService } from './serverless.js';

export interface LoadTemplateOptions {
  readonly parameterOverrides?: Readonly<Record<string, string>>;
  /** The API to serve (a logical id) when the template has several. */
  readonly api?: string;
  readonly stackName?: string;
  /** `--env-vars FILE`: SAM's JSON, `{ "FUNCTION": { "VAR": "value" }, "Parameters": {...} }`. */
  readonly envVarsFile?: string;
  /** `--stage`: a serverless.yml's stage (`${opt:stage}`). */
  readonly stage?: string;
  /** `--param key=value`: a serverless.yml's `${param:key}`, before its own params. */
  readonly params?: Readonly<Record<string, string>>;
  /** `${env:...}` of a serverless.yml; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface LoadedTemplate extends TemplateApp {
  readonly file: string;
  /** `warning: FILE:LINE:COL: Resources.X.Properties.Y ...`, one per warning. */
  readonly warningLines: readonly string[];
  /** A serverless.yml (compiled as the Serverless Framework would) rather than a template. */
  readonly serverless: boolean;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TemplateError(
      `${file}: cannot be read: ${code === 'ENOENT' ? 'there is no such file' : (code ?? String(error))}`,
    );
  }
}

const place = (file: string, parsed: ParsedTemplate, path: KeyPath, message: string): string => {
  const { line, column } = parsed.position(path);
  return `${file}:${line}:${column}: ${path.length ? `${formatKeyPath(path)} ` : ''}${message}`;
};

/** Reads and resolves the template; a TemplateError names the first problem. */
export function loadTemplate(file: string, options: LoadTemplateOptions = {}): LoadedTemplate {
  const parsed = parseCloudFormation(readText(file), file);
  const baseDir = dirname(resolve(file));
  let app: TemplateApp;
  let service: CompiledService | undefined;
  try {
    if (isServerlessService(parsed.value)) {
      const own = {
        ...(options.stage ? { stage: options.stage } : {}),
        ...(options.params ? { params: options.params } : {}),
        ...(options.env ? { env: options.env } : {}),
        ...(options.api ? { api: options.api } : {}),
      };
      service = compileServerless(parsed.value as Record<string, unknown>, baseDir, own);
      app = serverlessApp(service, baseDir, own);
    } else if (options.params)
      throw new TemplateError(
        `${file}: --param sets a serverless.yml's \${param:} variables; a SAM or CloudFormation template's parameters are set by --parameter-overrides`,
      );
    else
      app = readCloudFormation(parsed.value, {
        baseDir,
        ...(options.parameterOverrides ? { parameterOverrides: options.parameterOverrides } : {}),
        ...(options.api ? { api: options.api } : {}),
        ...(options.stackName ? { stackName: options.stackName } : {}),
        readDocument: (location, at) => {
          const full = isAbsolute(location) ? location : resolve(baseDir, location);
          let text: string;
          try {
            text = readFileSync(full, 'utf8');
          } catch {
            throw new TemplateIssue(at, `names ${location}, which cannot be read`);
          }
          return parseCloudFormation(text, full).value;
        },
      });
  } catch (error) {
    if (error instanceof TemplateIssue)
      throw new TemplateError(
        place(file, parsed, service ? service.origin(error.path) : error.path, error.message),
      );
    throw error;
  }
  const warningLines = [...(service?.warnings ?? []), ...app.warnings].map(
    (w) => `warning: ${place(file, parsed, service ? service.origin(w.path) : w.path, w.message)}`,
  );
  const functions = options.envVarsFile
    ? applyEnvVars(app, options.envVarsFile, warningLines)
    : app.functions;
  const api = app.api && {
    ...app.api,
    document: gatewayDocument(app.api.document, app.api.warned),
  };
  return { ...app, api, functions, file, warningLines, serverless: service !== undefined };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * SAM's --env-vars: values for variables a function declares in its Environment, by logical id (or
 * function name), and `Parameters` for every function; as `sam local`, a variable the template
 * does not declare is not added (named in a warning).
 */
function applyEnvVars(
  app: TemplateApp,
  file: string,
  warnings: string[],
): TemplateApp['functions'] {
  let doc: unknown;
  try {
    doc = JSON.parse(readText(file));
  } catch (error) {
    if (error instanceof TemplateError) throw error;
    throw new TemplateError(`${file}: is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObj(doc))
    throw new TemplateError(`${file}: must be a JSON object of functions and their variables`);
  const all = isObj(doc.Parameters) ? doc.Parameters : {};
  const out = new Map(app.functions);
  const used = new Set<string>(['Parameters']);
  for (const [name, fn] of app.functions) {
    const own = doc[fn.logicalId] ?? doc[name];
    used.add(fn.logicalId).add(name);
    const values = { ...all, ...(isObj(own) ? own : {}) };
    const environment = { ...fn.environment };
    for (const [k, v] of Object.entries(values))
      if (k in environment) environment[k] = String(v);
      else if (isObj(own) && k in own)
        warnings.push(
          `warning: ${file}: ${fn.logicalId}.${k} is not in the function's Environment in the template, so it is not set (as sam local)`,
        );
    out.set(name, { ...fn, environment });
  }
  for (const key of Object.keys(doc))
    if (!used.has(key)) warnings.push(`warning: ${file}: ${key} is not a function of the template`);
  return out;
}
