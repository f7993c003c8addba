import { createAuthorizer } from './authorizer.js';
import { loadLambdaConfig } from './load-config.js';
import { createLambdaHandler } from './lambda-handler.js';
import { createLogSink, lambdaLogSettings } from './log-line.js';

// Built once per container: configuration errors stop the cold start with a message naming the
// setting (API Gateway answers 500), and warm invocations reuse the verifiers and their key caches.
// npm run bundle replaces this with the config file it found (rules inlined), or leaves it undefined.
const embedded = (globalThis as { TOLLGATE_EMBEDDED_CONFIG?: unknown }).TOLLGATE_EMBEDDED_CONFIG;
// One plain copy: every read of process.env is a call into the runtime.
const env = { ...process.env };
// Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL, AWS_LAMBDA_LOG_FORMAT), as for console.
const log = createLogSink(lambdaLogSettings(env));
const authorizer = createAuthorizer(await loadLambdaConfig(env, embedded), { log });

// Fetch the keys during Lambda's init phase (awaited, so provisioned concurrency and SnapStart
// snapshots hold them), and the first request does not wait for them.
await authorizer.warmUp();

/** The Lambda entry point (`index.handler`) for every authorizer shape. */
export const handler = createLambdaHandler(authorizer);
