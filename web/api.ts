// One call of the API through the local gateway, with or without the access token. Without a token
// no Authorization header is sent at all, so the page shows API Gateway's own 401.
import type { PageEndpoint } from '../src/web/page-config.js';

export interface CallResult {
  readonly status: number;
  /** E.g. "401 Unauthorized"; the reason phrase from our table when the response has none (HTTP/2). */
  readonly statusLine: string;
  /** Pretty-printed JSON when the body is JSON, else the text as received. */
  readonly body: string;
  /** What the authorizer decided, from `tollgate serve`'s x-tollgate-authorizer header; undefined without one. */
  readonly authorizer: AuthorizerView | undefined;
}

/** The fields of x-tollgate-authorizer the page shows (src/gateway/authorizer-header.ts writes them). */
export interface AuthorizerView {
  readonly authorizer: string;
  readonly decision: string;
  readonly reason: string;
  readonly missing?: string;
  readonly message?: string;
  readonly evaluation?: string;
  readonly policy?: { readonly allow: readonly string[]; readonly deny: readonly string[] };
  readonly cache?: string;
  readonly ttl?: number;
  readonly cachedFor?: string;
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/** The header's JSON, keeping only fields of the expected types; undefined when absent or unreadable. */
export function readAuthorizerHeader(value: string | null): AuthorizerView | undefined {
  if (!value) return undefined;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(value) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (
    typeof raw !== 'object' ||
    raw === null ||
    typeof raw.decision !== 'string' ||
    typeof raw.reason !== 'string'
  )
    return undefined;
  const text = (k: string): string | undefined =>
    typeof raw[k] === 'string' ? (raw[k] as string) : undefined;
  const policy =
    typeof raw.policy === 'object' && raw.policy !== null
      ? (raw.policy as Record<string, unknown>)
      : undefined;
  return {
    authorizer: text('authorizer') ?? 'authorizer',
    decision: raw.decision,
    reason: raw.reason,
    ...(text('missing') ? { missing: text('missing') } : {}),
    ...(text('message') ? { message: text('message') } : {}),
    ...(text('evaluation') ? { evaluation: text('evaluation') } : {}),
    ...(policy ? { policy: { allow: strings(policy.allow), deny: strings(policy.deny) } } : {}),
    ...(text('cache') ? { cache: text('cache') } : {}),
    ...(typeof raw.ttl === 'number' ? { ttl: raw.ttl } : {}),
    ...(text('cachedFor') ? { cachedFor: text('cachedFor') } : {}),
  };
}

const REASONS: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function prettyBody(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export async function callEndpoint(
  endpoint: PageEndpoint & { readonly body?: unknown },
  accessToken: string | undefined,
): Promise<CallResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (accessToken !== undefined) headers.authorization = `Bearer ${accessToken}`;
  const init: RequestInit = {
    method: endpoint.method,
    headers,
    cache: 'no-store',
    credentials: 'same-origin',
  };
  if (endpoint.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(endpoint.body);
  }
  const response = await fetch(endpoint.path, init);
  const reason = response.statusText || REASONS[response.status] || '';
  return {
    status: response.status,
    statusLine: `${response.status} ${reason}`.trim(),
    body: prettyBody(await response.text()),
    authorizer: readAuthorizerHeader(response.headers.get('x-tollgate-authorizer')),
  };
}
