// Runs a built handler module in its own process, as Lambda does: a fresh module with its own
// environment, loaded and called as its declared runtime does (lambda-runtime.ts), whose stdout
// (log lines) the parent sends to its stderr. One event, one answer.
import { initErrorLine, loadHandler } from '../gateway/handler-loader.js';
import { invoke, type LambdaHandler } from '../gateway/invoke.js';
import {
  checkHandler,
  contextMethodWarning,
  DEFAULT_MEMORY_MB,
  type HandlerName,
  type NodeRuntime,
} from '../gateway/lambda-runtime.js';

interface Job {
  readonly name: HandlerName;
  readonly runtime: NodeRuntime;
  readonly event: unknown;
}

type Answer =
  | { result: unknown; warnings: string[] }
  | { error: string; warnings: string[] }
  | { usage: string };

async function run(job: Job): Promise<Answer> {
  let handler: LambdaHandler;
  const warnings: string[] = [];
  try {
    const loaded = await loadHandler(job.name, job.runtime);
    const checked = checkHandler(job.runtime, {
      argsNum: loaded.length,
      isAsync: loaded.constructor.name === 'AsyncFunction',
    });
    if (checked.error) throw checked.error;
    warnings.push(...checked.warnings);
    handler = loaded as unknown as LambdaHandler;
  } catch (error) {
    // An init error: a module that throws at load (bad configuration), a missing file or export, a refused handler.
    return { usage: `cannot load ${job.name.module}: ${initErrorLine(error)}` };
  }
  const outcome = await invoke(handler, job.event, {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'tollgate-invoke',
    requestId: 'tollgate-invoke',
    timeoutMs: 30_000,
    now: Date.now,
    region: process.env.AWS_REGION ?? 'us-east-1',
    account: '123456789012',
    runtime: job.runtime,
    memoryMb: DEFAULT_MEMORY_MB,
    onLegacyCall: (method) =>
      void (
        warnings.includes(contextMethodWarning(method)) ||
        warnings.push(contextMethodWarning(method))
      ),
  });
  if (outcome.kind === 'result') return { result: outcome.value, warnings };
  return {
    error: outcome.kind === 'error' ? outcome.message : 'Task timed out after 30.00 seconds',
    warnings,
  };
}

process.once('message', (job: Job) => {
  void run(job).then((answer) => process.send!(answer, () => process.exit(0)));
});
