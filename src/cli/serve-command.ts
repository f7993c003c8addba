// `tollgate serve`: a local API Gateway. The steps, each in its own module: read the inputs
// (serve-inputs), load the API (serve-api), start the functions (serve-functions), listen
// (serve-listen), then the provider, authorizers, gateway, page and banner (serve-gateway).
import { UsageError } from '../core/errors.js';
import type { DevProvider } from '../idp/dev-provider.js';
import { batchedLogLine } from '../gateway/log-batch.js';
import { loadServedApi } from './serve-api.js';
import { functionSpecs, startFunctions, type FunctionPool } from './serve-functions.js';
import { startGateway } from './serve-gateway.js';
import { readServeInputs } from './serve-inputs.js';
import { listen, type Listening } from './serve-listen.js';
import type { ServeOptions } from './serve-options.js';

export { SERVE_HELP, type ServeOptions } from './serve-options.js';

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The development provider, when one runs. */
  readonly devProvider: DevProvider | undefined;
  close(): Promise<void>;
}

/** Starts the gateway; resolves once it listens and answers. */
export async function serve(
  options: ServeOptions,
  err: (line: string) => void,
  log: (entry: Record<string, unknown>) => void = batchedLogLine,
): Promise<RunningServer> {
  const read = readServeInputs(options, err);
  const served = await loadServedApi(options, read, err);
  // A template's authorizer function that names its issuer needs no development provider.
  const inputs = served.templateIssuer ? { ...read, devMode: false } : read;
  const specs = functionSpecs(
    served.fromTemplate,
    inputs.settings.functions,
    options.function ?? [],
  );
  const python = inputs.env.TOLLGATE_PYTHON?.trim() || undefined;
  const pool = await startFunctions(specs, { python, log }, err);
  const listening = await listenOrStop(inputs.port, log, pool);
  try {
    const context = { options, inputs, served, pool, listening, log, err };
    const { devProvider, ws } = await startGateway(context);
    return {
      url: `http://localhost:${listening.port}`,
      port: listening.port,
      devProvider,
      close: async () => {
        await ws?.close();
        await listening.server.close();
        await pool.close();
      },
    };
  } catch (error) {
    // Requests waiting for the start fail, and nothing started is left running.
    await listening.fail(error);
    await pool.close();
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

async function listenOrStop(
  port: number,
  log: (entry: Record<string, unknown>) => void,
  pool: FunctionPool,
): Promise<Listening> {
  try {
    return await listen(port, log);
  } catch (error) {
    await pool.close();
    throw error;
  }
}
