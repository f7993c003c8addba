import type { VerifierSettings } from '../settings/settings.js';
import { staticKeySource, type KeySource } from '../core/key-source.js';
import { secretKey } from '../core/keys.js';
import { KeySet } from '../core/keyset.js';
import { Verifier } from '../core/verifier.js';
import { discoverJwksUri, JwksClient } from '../keys/jwks-client.js';
import { writeLogLine, type LogSink } from './log-line.js';

export interface Runtime {
  readonly config: VerifierSettings;
  readonly verifier: Verifier;
  /** A JWKS client, or a fixed key set for an HMAC issuer. */
  readonly keys: KeySource & { warmUp?(): Promise<void> };
  readonly log: LogSink;
}

export interface RuntimeOptions {
  readonly now?: () => number;
  readonly log?: LogSink;
}

/** Wires the verifier to a JWKS client (and OpenID discovery when no JWKS_URI is set). Built once per container. */
export function createRuntime(config: VerifierSettings, options: RuntimeOptions = {}): Runtime {
  const log = options.log ?? writeLogLine;
  const now = options.now ?? Date.now;
  const keys = config.secret
    ? staticKeySource(new KeySet([secretKey(config.secret)]))
    : new JwksClient({
        jwksUri:
          config.jwksUri ?? ((timeoutMs: number) => discoverJwksUri(config.issuer, { timeoutMs })),
        ...config.jwks,
        now,
        log,
      });
  const verifier = new Verifier({ ...config, keySource: keys, now });
  return { config, verifier, keys, log };
}
