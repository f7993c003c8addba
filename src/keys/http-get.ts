import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { TollgateError } from '../core/errors.js';

// Not an ESM import, so a cold start skips Node's ESM wrapper of node:http (lambda/log-line.ts).
const { request: httpRequest } = process.getBuiltinModule('node:http');

export interface HttpGetOptions {
  /** Bound on the whole exchange: connect, headers and body. */
  readonly timeoutMs: number;
  /** A larger body is abandoned as soon as it passes this size. */
  readonly maxBytes: number;
  /** Same-origin redirects followed; a redirect to another origin is refused. */
  readonly maxRedirects?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The URL that answered, after same-origin redirects. */
  readonly url: URL;
}

export type HttpErrorCode =
  'HTTP_TIMEOUT' | 'HTTP_RESPONSE_TOO_LARGE' | 'HTTP_REDIRECT_REFUSED' | 'HTTP_NETWORK';

export class HttpGetError extends TollgateError<HttpErrorCode> {
  constructor(code: HttpErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'HttpGetError';
  }
}

/**
 * A bounded GET over node:http/node:https: what fetching keys from an identity provider needs,
 * without loading `fetch` (undici) into the Lambda's cold start. The https module is imported only
 * when an https URL is fetched. No connection is kept alive: fetches are minutes apart, and a pooled
 * socket may be dead after Lambda freezes and thaws the container.
 */
export async function httpGet(url: URL, options: HttpGetOptions): Promise<HttpResponse> {
  const deadline = Date.now() + options.timeoutMs;
  const response = await once(url, options.maxBytes, options.timeoutMs, options.timeoutMs);
  if (!isRedirect(response)) return response;
  // An identity provider rarely redirects its JWKS: the rules for following load only when one does.
  return (await import('./http-redirect.js')).followRedirects(url, response, options, deadline);
}

export function isRedirect(response: HttpResponse): boolean {
  return response.status >= 300 && response.status < 400 && response.headers.location !== undefined;
}

/** One GET within `remainingMs` (the fetch's budget, `timeoutMs`, named in the timeout error). */
export async function once(
  url: URL,
  maxBytes: number,
  remainingMs: number,
  timeoutMs: number,
): Promise<HttpResponse> {
  if (remainingMs <= 0)
    throw new HttpGetError('HTTP_TIMEOUT', `no answer from ${url.origin} within ${timeoutMs} ms`);
  // node:http is loaded at once (every https fetch needs it too); https, with tls, only for https.
  const request =
    url.protocol === 'https:' ? process.getBuiltinModule('node:https').request : httpRequest;
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const fail = (error: HttpGetError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new HttpGetError('HTTP_TIMEOUT', `no answer from ${url.origin} within ${timeoutMs} ms`),
        ),
      remainingMs,
    );
    const req = request(
      url,
      { method: 'GET', headers: { accept: 'application/json' }, agent: false },
      (res: IncomingMessage) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes)
          return fail(
            new HttpGetError(
              'HTTP_RESPONSE_TOO_LARGE',
              `response of ${declared} bytes exceeds ${maxBytes}`,
            ),
          );
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes)
            fail(new HttpGetError('HTTP_RESPONSE_TOO_LARGE', `response exceeds ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', (cause) =>
          fail(
            new HttpGetError(
              'HTTP_NETWORK',
              `reading from ${url.origin} failed: ${cause.message}`,
              {
                cause,
              },
            ),
          ),
        );
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            url,
          });
        });
      },
    );
    req.on('error', (cause) =>
      fail(
        new HttpGetError('HTTP_NETWORK', `request to ${url.origin} failed: ${cause.message}`, {
          cause,
        }),
      ),
    );
    req.end();
  });
}
