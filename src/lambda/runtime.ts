import type { VerifierSettings } from '../settings/settings.js';
import { staticKeySource, type KeySource } from '../core/key-source.js';
import { secretKey } from '../core/keys.js';
import { KeySet } from '../core/keyset.js';
import { Verifier } from '../core/verifier.js';
import { JwksClient } from '../keys/jwks-client.js';
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
  /**
   * Keys embedded at bundle time, by issuer (embedded-keys.ts decides which apply), used until the
   * first fetch of that issuer's JWKS completes.
   */
  readonly embeddedKeys?: ReadonlyMap<string, KeySet> | undefined;
}

/** Wires the verifier to a JWKS client (and OpenID discovery when no JWKS_URI is set). Built once per container. */
export function createRuntime(config: VerifierSettings, options: RuntimeOptions = {}): Runtime {
  const log = options.log ?? writeLogLine;
  const now = options.now ?? Date.now;
  const keys = config.secret
    ? staticKeySource(new KeySet([secretKey(config.secret)]))
    : new JwksClient({
        // Discovery is loaded only by an issuer without JWKS_URI.
        jwksUri:
          config.jwksUri ??
          (async (timeoutMs: number) =>
            (await import('../keys/discovery.js')).discoverJwksUri(config.issuer, { timeoutMs })),
        ...config.jwks,
        now,
        log,
        embedded: options.embeddedKeys?.get(config.issuer),
      });
  const verifier = new Verifier({ ...config, keySource: keys, now });
  return { config, verifier, keys, log };
}
