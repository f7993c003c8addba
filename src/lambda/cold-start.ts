import type { AuthorizerHandler } from './handler.js';
import { createAuthorizer } from './authorizer.js';
import { quickSettings } from '../settings/quick.js';
import type { EmbeddedJwks } from './embedded-keys.js';
import { createLambdaHandler } from './lambda-handler.js';
import { createLogSink, lambdaLogSettings } from './log-line.js';
import { createDecisionMetrics } from './decision-metrics.js';

/**
 * What a container does once, at Lambda's init: read the settings, build the verifiers, fetch the
 * keys. Configuration errors reject with a message naming the setting (API Gateway answers 500);
 * warm invocations reuse the verifiers and their key caches. index.ts awaits it at top level: this
 * module has no top-level await, so the chunks loaded lazily can import from it (bundle.mjs).
 */
export async function coldStart(): Promise<AuthorizerHandler> {
  // npm run bundle replaces this with the config file it found (rules inlined), or leaves it undefined.
  const embedded = (globalThis as { TOLLGATE_EMBEDDED_CONFIG?: unknown }).TOLLGATE_EMBEDDED_CONFIG;
  // One plain copy: every read of process.env is a call into the runtime.
  const env = { ...process.env };
  // Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL, AWS_LAMBDA_LOG_FORMAT), as for console.
  const log = createLogSink(lambdaLogSettings(env));
  // The common environment is read here; a config file, rules or any other setting load the full
  // reader (and its messages) as a chunk of its own.
  const settings =
    (embedded === undefined ? quickSettings(env) : undefined) ??
    (await (await import('../settings/deployed-config.js')).loadLambdaConfig(env, embedded));
  // `npm run bundle -- --embed-keys` puts the issuer's keys here: the first requests need not wait
  // for the JWKS fetch, which starts below all the same (embedded-keys.ts).
  // Their checks are a chunk of their own, loaded only by a bundle that has them.
  const embeddedJwks = (globalThis as { TOLLGATE_EMBEDDED_KEYS?: readonly EmbeddedJwks[] })
    .TOLLGATE_EMBEDDED_KEYS;
  const embeddedKeys =
    embeddedJwks &&
    (await import('./embedded-keys.js')).embeddedKeySets(settings.issuers, embeddedJwks, log);
  const authorizer = createAuthorizer(settings, { log, embeddedKeys });

  // Fetch the keys during Lambda's init phase (awaited below, so provisioned concurrency and
  // SnapStart snapshots hold them), and the first request does not wait for them. With embedded
  // keys the fetch starts here and is not awaited: they answer until it completes.
  const warming = authorizer.warmUp();

  // Counts per decision and reason, as CloudWatch embedded-metric-format lines every few seconds
  // and at shutdown: every Allow stays visible when Allow lines are off (LOG_DECISIONS=refusals,
  // the default). INFO lines, as Lambda ranks a JSON line without a level: AWS_LAMBDA_LOG_LEVEL=WARN
  // drops them. Built while the issuer answers, rather than after.
  const metrics = log.enabled?.('info')
    ? createDecisionMetrics({ functionName: env.AWS_LAMBDA_FUNCTION_NAME })
    : undefined;
  metrics?.flushAtShutdown();
  const handler = createLambdaHandler(authorizer, { onDecision: metrics?.count });
  await warming;
  return handler;
}
