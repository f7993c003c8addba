// `tollgate invoke --handler auth.py#lambda_handler`: the Python function in the same bridge as
// `tollgate serve` runs it (a process of its own), one event, one answer; its prints go to stderr.
import { startFunctionWorker } from '../gateway/function-worker.js';
import { invoke } from '../gateway/invoke.js';
import { LOCAL_API } from '../gateway/events.js';
import { UsageError } from '../core/errors.js';
import type { FunctionSetting } from './serve-settings.js';

type Outcome = ({ result: never } | { error: string }) & { warnings?: string[] };

const TIMEOUT_MS = 30_000;

/** The function's own log lines (and Tollgate's notes about them) on stderr, as the Node child's. */
function logToStderr(entry: Record<string, unknown>): void {
  const text =
    entry.event === 'function_output' ? entry.line : `tollgate: ${String(entry.message ?? '')}`;
  process.stderr.write(`${String(text)}\n`);
}

export async function runPython(
  setting: FunctionSetting,
  event: unknown,
  env: Record<string, string | undefined>,
): Promise<Outcome> {
  const environment = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const name = env.AWS_LAMBDA_FUNCTION_NAME ?? 'tollgate-invoke';
  const worker = startFunctionWorker({
    name,
    handler: setting.handler,
    ...(setting.runtime !== undefined ? { runtime: setting.runtime } : {}),
    environment,
    log: logToStderr,
    ...(env.TOLLGATE_PYTHON?.trim() ? { python: env.TOLLGATE_PYTHON.trim() } : {}),
  });
  try {
    await worker.ready();
  } catch (error) {
    await worker.close();
    throw new UsageError((error as Error).message);
  }
  try {
    const outcome = await invoke(worker.handler, event, {
      functionName: name,
      requestId: 'tollgate-invoke',
      timeoutMs: TIMEOUT_MS,
      now: Date.now,
      region: LOCAL_API.region,
      account: LOCAL_API.account,
    });
    const warnings = [...worker.warnings()];
    if (outcome.kind === 'result') return { result: outcome.value as never, warnings };
    return {
      error:
        outcome.kind === 'error'
          ? outcome.message
          : `Task timed out after ${(TIMEOUT_MS / 1000).toFixed(2)} seconds`,
      warnings,
    };
  } finally {
    await worker.close();
  }
}
