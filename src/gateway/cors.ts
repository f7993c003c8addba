// An HTTP API's CORS configuration (`x-amazon-apigateway-cors`), as "Configure CORS for HTTP APIs
// in API Gateway" describes it: the gateway answers preflights itself and puts the configured
// headers on responses, ignoring the integration's own (docs/emulation.md). Pure: no I/O.
import type { KeyPath } from '../core/key-path.js';
import { SettingIssue } from './extensions.js';
import type { GatewayResponse } from './responses.js';

export interface CorsConfig {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly maxAge: number | undefined;
  readonly allowCredentials: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown, path: KeyPath): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.trim() !== ''))
    throw new SettingIssue(path, 'must be a list of non-empty strings');
  return (v as string[]).map((x) => x.trim());
}

/** Reads the extension; throws SettingIssue for what AWS refuses. */
export function parseCors(
  value: unknown,
  path: KeyPath = ['x-amazon-apigateway-cors'],
): CorsConfig {
  if (!isObj(value))
    throw new SettingIssue(
      path,
      'must be a mapping (allowOrigins, allowMethods, allowHeaders, exposeHeaders, maxAge, allowCredentials)',
    );
  const allowOrigins = strings(value.allowOrigins, [...path, 'allowOrigins']);
  for (const [i, o] of allowOrigins.entries()) {
    if (o !== '*' && !/^https?:\/\/(\*|[^*/\s]+)$/i.test(o))
      throw new SettingIssue(
        [...path, 'allowOrigins', i],
        'must be *, http://*, https://* or an origin such as https://www.example.com (scheme and host, no path)',
      );
  }
  const maxAge = value.maxAge;
  if (
    maxAge !== undefined &&
    (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < -1 || maxAge > 86400)
  ) {
    throw new SettingIssue(
      [...path, 'maxAge'],
      'must be a whole number of seconds from -1 to 86400',
    );
  }
  if (value.allowCredentials !== undefined && typeof value.allowCredentials !== 'boolean')
    throw new SettingIssue([...path, 'allowCredentials'], 'must be true or false');
  const allowCredentials = value.allowCredentials === true;
  // AWS refuses this pair when the configuration is saved; browsers refuse it too.
  if (allowCredentials && allowOrigins.includes('*'))
    throw new SettingIssue(
      [...path, 'allowCredentials'],
      'cannot be true when allowOrigins contains "*": list the origins',
    );
  return {
    allowOrigins,
    allowMethods: strings(value.allowMethods, [...path, 'allowMethods']).map((m) =>
      m.toUpperCase(),
    ),
    allowHeaders: strings(value.allowHeaders, [...path, 'allowHeaders']),
    exposeHeaders: strings(value.exposeHeaders, [...path, 'exposeHeaders']),
    maxAge: maxAge as number | undefined,
    allowCredentials,
  };
}

/** The `Access-Control-Allow-Origin` value for a request's Origin, or undefined when it is not allowed. */
export function allowedOrigin(cors: CorsConfig, origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  const lower = origin.toLowerCase();
  for (const o of cors.allowOrigins) {
    if (o === '*') return '*';
    const l = o.toLowerCase();
    if (l === 'http://*' || l === 'https://*' ? lower.startsWith(l.slice(0, -1)) : l === lower)
      return origin;
  }
  return undefined;
}

type Headers = Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const v = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  return Array.isArray(v) ? v[v.length - 1] : (v as string | undefined);
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method (AWS needs both). */
export function isPreflight(method: string, headers: Headers): boolean {
  return (
    method.toUpperCase() === 'OPTIONS' &&
    !!header(headers, 'origin') &&
    !!header(headers, 'access-control-request-method')
  );
}

function originHeaders(cors: CorsConfig, allowed: string): Record<string, string> {
  return {
    'access-control-allow-origin': allowed,
    ...(cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
    // An answer that depends on the Origin must say so to caches.
    ...(allowed !== '*' ? { vary: 'Origin' } : {}),
  };
}

/** The gateway's own answer to a preflight: 204, with the configuration's headers when the origin is allowed. */
export function preflightResponse(
  cors: CorsConfig,
  headers: Headers,
  requestId: string,
): GatewayResponse {
  const out: Record<string, string> = { 'apigw-requestid': requestId };
  const allowed = allowedOrigin(cors, header(headers, 'origin'));
  if (allowed !== undefined) {
    Object.assign(out, originHeaders(cors, allowed));
    if (cors.allowMethods.length) out['access-control-allow-methods'] = cors.allowMethods.join(',');
    if (cors.allowHeaders.length) out['access-control-allow-headers'] = cors.allowHeaders.join(',');
    if (cors.maxAge !== undefined) out['access-control-max-age'] = String(cors.maxAge);
  }
  return { status: 204, headers: out, body: '' };
}

/** Any answer to a request with an allowed Origin: the integration's CORS headers out, the configuration's in. */
export function withCors(
  cors: CorsConfig,
  requestHeaders: Headers,
  response: GatewayResponse,
): GatewayResponse {
  const kept: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(response.headers))
    if (!k.toLowerCase().startsWith('access-control-')) kept[k] = v;
  const allowed = allowedOrigin(cors, header(requestHeaders, 'origin'));
  if (allowed !== undefined) {
    const varyKey = Object.keys(kept).find((k) => k.toLowerCase() === 'vary');
    const vary = varyKey === undefined ? undefined : String(kept[varyKey]);
    if (varyKey !== undefined) delete kept[varyKey];
    Object.assign(kept, originHeaders(cors, allowed));
    if (vary !== undefined) kept.vary = allowed === '*' ? vary : `${vary}, Origin`;
    if (cors.exposeHeaders.length)
      kept['access-control-expose-headers'] = cors.exposeHeaders.join(',');
  }
  return { ...response, headers: kept };
}
