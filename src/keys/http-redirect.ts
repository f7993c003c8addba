import {
  HttpGetError,
  isRedirect,
  once,
  type HttpGetOptions,
  type HttpResponse,
} from './http-get.js';

/**
 * Follows `first`, a redirect answered for `url`: same-origin only, at most `maxRedirects` (3),
 * every request within the one deadline of the whole fetch.
 */
export async function followRedirects(
  url: URL,
  first: HttpResponse,
  options: HttpGetOptions,
  deadline: number,
): Promise<HttpResponse> {
  const max = options.maxRedirects ?? 3;
  let response = first;
  for (let redirects = 0; isRedirect(response); redirects++) {
    const next = new URL(response.headers.location!, response.url);
    if (next.origin !== url.origin)
      throw new HttpGetError(
        'HTTP_REDIRECT_REFUSED',
        `${url.origin} redirected to another origin (${next.origin}); not followed`,
      );
    if (redirects >= max)
      throw new HttpGetError(
        'HTTP_REDIRECT_REFUSED',
        `${url.origin} redirected more than ${max} times`,
      );
    response = await once(next, options.maxBytes, deadline - Date.now(), options.timeoutMs);
  }
  return response;
}
