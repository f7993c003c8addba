const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Checks a URL keys or discovery documents may come from: `https`, or plain `http` only to a
 * loopback address (local development and tests). Returns the URL, or a message naming the problem.
 */
export function checkKeyUrl(value: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a URL`;
  }
  if (url.username || url.password) return `"${url.origin}" must not carry credentials`;
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return url;
  return `"${url.href}" must use https (plain http is allowed only for localhost, 127.0.0.1 and [::1])`;
}
