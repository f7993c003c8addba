// oidc-provider is loaded on demand: commands other than `serve` never pay for Koa and its
// routes. On import it warns that Node.js 20 is "unsupported" (its docs ask for 22 LTS); the parts
// the development provider uses run on Node 20.18+ (they need URL.parse), which test/idp.test.ts
// exercises, so that one line is held back while the module loads. Every other warning passes.

import type * as OidcProvider from 'oidc-provider';

type OidcProviderModule = typeof OidcProvider;

const RUNTIME_WARNING = 'oidc-provider WARNING: Unsupported runtime';

let loading: Promise<OidcProviderModule> | undefined;

export function loadOidcProvider(): Promise<OidcProviderModule> {
  loading ??= importQuietly();
  return loading;
}

async function importQuietly(): Promise<OidcProviderModule> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes(RUNTIME_WARNING)) return;
    warn(...args);
  };
  try {
    return await import('oidc-provider');
  } finally {
    console.warn = warn;
  }
}
