import type { Settings } from '../settings/authorizer-config.js';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
import { writeLogLine, type LogSink } from './log-line.js';

/**
 * One authorizer: a runtime per issuer (its own keys) and the rules. The issuer set that picks
 * among the runtimes is built by the general handler (issuersOf): the TOKEN path never needs it.
 */
export interface Authorizer {
  readonly config: Settings;
  /** By exact issuer. */
  readonly runtimes: ReadonlyMap<string, Runtime>;
  readonly log: LogSink;
  /** Fetches every issuer's keys (Lambda init); never rejects. */
  warmUp(): Promise<void>;
}

export function createAuthorizer(config: Settings, options: RuntimeOptions = {}): Authorizer {
  const log = options.log ?? writeLogLine;
  const runtimes = new Map(
    config.issuers.map(
      (issuer) =>
        [
          issuer.issuer,
          createRuntime({ ...issuer, ...config.shared }, { ...options, log }),
        ] as const,
    ),
  );
  return {
    config,
    runtimes,
    log,
    warmUp: async () => {
      await Promise.all([...runtimes.values()].map((rt) => rt.keys.warmUp?.()));
    },
  };
}

/** An authorizer over one runtime, without rules: what the TOKEN handler of the first release did. */
export function singleIssuerAuthorizer(runtime: Runtime): Authorizer {
  return {
    config: {
      shared: runtime.config,
      issuers: [runtime.config],
      rules: undefined,
      issuerRules: new Map(),
      tokenSource: { kind: 'header', name: 'Authorization' },
      v2Response: 'simple',
    },
    runtimes: new Map([[runtime.config.issuer, runtime]]),
    log: runtime.log,
    warmUp: async () => runtime.keys.warmUp?.(),
  };
}
