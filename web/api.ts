// One call of the API through the local gateway, with or without the access token. Without a token
// no Authorization header is sent at all, so the page shows API Gateway's own 401.
import type { PageEndpoint } from '../src/web/page-config.js';

export interface CallResult {
  readonly status: number;
  /** E.g. "401 Unauthorized"; the reason phrase from our table when the response has none (HTTP/2). */
  readonly statusLine: string;
  /** Pretty-printed JSON when the body is JSON, else the text as received. */
  readonly body: string;
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

export async function callEndpoint(endpoint: PageEndpoint & { readonly body?: unknown }, accessToken: string | undefined): Promise<CallResult> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (accessToken !== undefined) headers.authorization = `Bearer ${accessToken}`;
  const init: RequestInit = { method: endpoint.method, headers, cache: 'no-store', credentials: 'same-origin' };
  if (endpoint.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(endpoint.body);
  }
  const response = await fetch(endpoint.path, init);
  const reason = response.statusText || REASONS[response.status] || '';
  return { status: response.status, statusLine: `${response.status} ${reason}`.trim(), body: prettyBody(await response.text()) };
}
