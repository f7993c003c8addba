// Builds a Tollgate verifier on a real JWKS client against a JwksServer, with an injectable clock.
import { configFromEnv } from '../../src/settings/env.js';
import type { VerifierSettings } from '../../src/settings/settings.js';
import { createRuntime, type Runtime } from '../../src/lambda/runtime.js';
import type { JwksClient } from '../../src/keys/jwks-client.js';
import { AUDIENCE, ISSUER, NOW_MS } from './keys.js';

export interface Clock {
  now: () => number;
  advance(ms: number): void;
  set(ms: number): void;
}

export function clock(start = NOW_MS): Clock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms), set: (ms) => void (t = ms) };
}

export interface TestRuntime extends Omit<Runtime, 'keys'> {
  /** Tests built by testRuntime always fetch from a JWKS. */
  readonly keys: JwksClient;
  readonly logs: Record<string, unknown>[];
  readonly clock: Clock;
}

/** A runtime configured as the handler would be, from environment-style settings. */
export function testRuntime(
  jwksUri: string,
  env: Record<string, string> = {},
  c: Clock = clock(),
): TestRuntime {
  const config: VerifierSettings = configFromEnv({
    TOKEN_ISSUER: ISSUER,
    AUDIENCE,
    JWKS_URI: jwksUri,
    ALGORITHMS: 'RS256',
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const runtime = createRuntime(config, { now: c.now, log: (entry) => logs.push(entry) });
  return { ...runtime, keys: runtime.keys as JwksClient, logs, clock: c };
}
