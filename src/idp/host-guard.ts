// Which Host and Origin values the development provider answers. A page on another site can make
// the browser send requests to localhost, and with DNS rebinding even under its own host name: the
// provider answers only the names of this machine at the serving port, and lets only its own pages
// (the sign-in page's origins) make cross-origin calls.

export interface HostGuard {
  /** The issuer's own `host` (name and port), which every URL the provider writes must name. */
  readonly issuerHost: string;
  /** Whether a request's Host header names this server. */
  hostAllowed(host: string | undefined): boolean;
  /** Whether a browser page of this origin may call the provider across origins. */
  originAllowed(origin: string): boolean;
}

const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** `host` with the scheme's default port made explicit and the name in lower case. */
function normalHost(host: string, protocol: string): string {
  const h = host.toLowerCase();
  return /:\d+$/.test(h) ? h : `${h}:${protocol === 'https:' ? 443 : 80}`;
}

/**
 * @example
 * const guard = createHostGuard('http://localhost:3000/idp', ['http://localhost:3000/']);
 * guard.hostAllowed('127.0.0.1:3000'); // true
 * guard.hostAllowed('attacker.example:3000'); // false
 */
export function createHostGuard(
  issuer: string,
  pageUrls: readonly string[],
  extraHosts: readonly string[] = [],
): HostGuard {
  const url = new URL(issuer);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const hosts = new Set(
    [url.host, ...LOOPBACK.map((name) => `${name}:${port}`), ...extraHosts].map((h) =>
      normalHost(h, url.protocol),
    ),
  );
  const origins = new Set([
    url.origin,
    ...pageUrls.filter((u) => URL.canParse(u)).map((u) => new URL(u).origin),
  ]);
  return {
    issuerHost: url.host,
    hostAllowed: (host) => host !== undefined && hosts.has(normalHost(host, url.protocol)),
    originAllowed: (origin) => origins.has(origin),
  };
}
