// The document's base path and API Gateway's import modes for it (docs/emulation.md, "basePath"):
// Swagger 2.0's `basePath`; in OpenAPI 3.0 a `basePath` server variable, else the path of the
// first server's url. `ignore` (API Gateway's default) serves the paths as written, `prepend` puts
// the whole base path before them, `split` drops its first segment and prepends the rest.
import type { KeyPath } from '../core/key-path.js';

export type BasePathMode = 'ignore' | 'prepend' | 'split';
export const BASE_PATH_MODES: readonly BasePathMode[] = ['ignore', 'prepend', 'split'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type BasePathRead =
  | { readonly ok: true; readonly basePath: string | undefined }
  | { readonly ok: false; readonly path: KeyPath; readonly message: string };

/** `/a/b/`, `a/b` → `/a/b`; `/` or empty → undefined (no base path). */
function normalise(path: string): string | undefined {
  const trimmed = path.trim().replace(/^\/*/, '/').replace(/\/+$/, '');
  return trimmed === '' || trimmed === '/' ? undefined : trimmed;
}

const SEGMENTS = /^(\/[A-Za-z0-9._~-]+)+$/;

export function documentBasePath(doc: Obj): BasePathRead {
  let found: { value: string; path: KeyPath } | undefined;
  if (doc.swagger !== undefined && doc.basePath !== undefined) {
    if (typeof doc.basePath !== 'string' || !doc.basePath.startsWith('/'))
      return { ok: false, path: ['basePath'], message: 'must be a path starting with /' };
    found = { value: doc.basePath, path: ['basePath'] };
  } else if (Array.isArray(doc.servers)) {
    // The first basePath variable, referenced in the url or not; else the first url's path.
    const withVariable = doc.servers.findIndex(
      (s) => isObj(s) && isObj(s.variables) && isObj(s.variables.basePath),
    );
    if (withVariable >= 0) {
      const variable = ((doc.servers[withVariable] as Obj).variables as Obj).basePath as Obj;
      if (typeof variable.default !== 'string')
        return {
          ok: false,
          path: ['servers', withVariable, 'variables', 'basePath', 'default'],
          message: 'must be a string (the base path)',
        };
      found = {
        value: variable.default,
        path: ['servers', withVariable, 'variables', 'basePath', 'default'],
      };
    } else if (isObj(doc.servers[0]) && typeof doc.servers[0].url === 'string') {
      const url = doc.servers[0].url;
      const path =
        /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*(\/.*)?$/.exec(url)?.[1] ??
        (url.startsWith('/') ? url : undefined);
      if (path !== undefined) found = { value: path, path: ['servers', 0, 'url'] };
    }
  }
  if (found === undefined) return { ok: true, basePath: undefined };
  const basePath = normalise(found.value);
  if (basePath !== undefined && !SEGMENTS.test(basePath))
    return {
      ok: false,
      path: found.path,
      message: `has the base path ${JSON.stringify(found.value)}; API Gateway's resource paths are segments of letters, digits and . _ ~ -`,
    };
  return { ok: true, basePath };
}

/** The path a template is served at under the mode. */
export function mountTemplate(
  template: string,
  basePath: string | undefined,
  mode: BasePathMode,
): string {
  if (basePath === undefined || mode === 'ignore') return template;
  const prefix = mode === 'prepend' ? basePath : basePath.replace(/^\/[^/]+/, '');
  if (prefix === '') return template;
  return template === '/' ? prefix : `${prefix}${template}`;
}
