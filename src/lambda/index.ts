import { configFromEnv } from '../config/env.js';
import { createRuntime } from './runtime.js';
import { createTokenHandler } from './token-handler.js';

// Built once per container: configuration errors stop the cold start with a message naming the
// setting (API Gateway answers 500), and warm invocations reuse the verifier and its key cache.
const runtime = createRuntime(configFromEnv(process.env));

// Fetch the keys during Lambda's init phase (awaited, so provisioned concurrency and SnapStart
// snapshots hold them), and the first request does not wait for them.
await runtime.keys.warmUp?.();

/** The Lambda entry point (`index.handler`). */
export const handler = createTokenHandler(runtime);
