// Inside a function's worker thread: loads the handler once as the declared runtime does (as a
// Lambda sandbox does at init), refuses what that runtime refuses at init, and runs each
// invocation with a context whose deadline the gateway set.
import { parentPort, workerData } from 'node:worker_threads';
import { initErrorLine, loadHandler } from './handler-loader.js';
import { invoke, type LambdaHandler } from './invoke.js';
import {
  checkHandler,
  contextMethodWarning,
  type HandlerName,
  type NodeRuntime,
} from './lambda-runtime.js';

interface Init {
  readonly name: HandlerName;
  readonly runtime: NodeRuntime;
  readonly memoryMb: number;
  readonly functionName: string;
  readonly region: string;
  readonly account: string;
}

interface Request {
  readonly id: number;
  readonly event: unknown;
  readonly requestId: string;
  readonly timeoutMs: number;
}

const init = workerData as Init;
const port = parentPort!;
const warned = new Set<string>();
const onLegacyCall = (method: string): void => {
  if (warned.has(method) || init.runtime === 'nodejs24.x') return;
  warned.add(method);
  port.postMessage({ kind: 'warning', message: contextMethodWarning(method) });
};

async function load(): Promise<{ handler: LambdaHandler; warnings: string[] }> {
  const handler = await loadHandler(init.name, init.runtime);
  const checked = checkHandler(init.runtime, {
    argsNum: handler.length,
    isAsync: handler.constructor.name === 'AsyncFunction',
  });
  if (checked.error) throw checked.error;
  return { handler: handler as unknown as LambdaHandler, warnings: checked.warnings };
}

load().then(
  ({ handler, warnings }) => {
    port.postMessage({ kind: 'ready', warnings });
    port.on('message', (request: Request | { kind: 'ping' }) => {
      // A ping answered proves the thread is not stuck in a busy loop.
      if ('kind' in request) return port.postMessage({ kind: 'pong' });
      void invoke(handler, request.event, {
        functionName: init.functionName,
        requestId: request.requestId,
        timeoutMs: request.timeoutMs,
        now: Date.now,
        region: init.region,
        account: init.account,
        runtime: init.runtime,
        memoryMb: init.memoryMb,
        onLegacyCall,
      }).then((outcome) => port.postMessage({ kind: 'done', id: request.id, outcome }));
    });
  },
  (error: unknown) => port.postMessage({ kind: 'init-error', message: initErrorLine(error) }),
);
