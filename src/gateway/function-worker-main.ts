// Inside a function's worker thread: imports the module once (as a Lambda sandbox does at init)
// and runs each invocation with a context whose deadline the gateway set.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { invoke, type LambdaHandler } from './invoke.js';

interface Init {
  readonly file: string;
  readonly exportName: string;
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

async function load(): Promise<LambdaHandler> {
  const mod = (await import(pathToFileURL(init.file).href)) as Record<string, unknown>;
  const handler = mod[init.exportName];
  if (typeof handler !== 'function') throw new Error(`${init.file} has no exported function ${init.exportName}`);
  return handler as LambdaHandler;
}

load().then(
  (handler) => {
    port.postMessage({ kind: 'ready' });
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
      }).then((outcome) => port.postMessage({ kind: 'done', id: request.id, outcome }));
    });
  },
  (error: unknown) => port.postMessage({ kind: 'init-error', message: error instanceof Error ? error.message.split('\n')[0] : String(error) }),
);
