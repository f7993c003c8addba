import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createGateway } from '../gateway/gateway.js';
import type { LambdaHandler } from '../gateway/invoke.js';
import { ApiDocumentError, loadApi } from '../gateway/openapi.js';
import { createGatewayServer } from '../gateway/server.js';
import { createAuthorizer } from '../lambda/authorizer.js';
import { createHandler } from '../lambda/handler.js';
import { UsageError } from './errors.js';
import { cliAuthorizerConfig } from './load-config.js';
import { resolveEnv } from './resolve-env.js';

export const SERVE_HELP = `Usage: tollgate serve --api FILE [options]

Serves an OpenAPI document with API Gateway's extensions on 127.0.0.1, as API Gateway would: identity
sources, the validation expression, the authorizer's result cache, policy evaluation, and the exact
401/403/500 answers. REST APIs with TOKEN and REQUEST authorizers for now.

Options:
  --api FILE                 the OpenAPI 3.0 or Swagger 2.0 document (YAML or JSON)
  --function NAME=PATH[#EXPORT]
                             the local module for a function the document names in its ARNs
                             (repeatable). An authorizer function given no module is Tollgate's own.
  --port N                   default 3000 (0: any free port)
  --stage NAME               default local
  --config FILE, --rules FILE, --env-file FILE
                             Tollgate's own authorizer settings, as for 'tollgate invoke'
  -h, --help                 this help

Example: tollgate serve --api examples/petstore.openapi.yaml --function pets=examples/pets.mjs --rules examples/petstore.rules.yaml`;

export interface ServeOptions {
  api?: string | undefined;
  function?: string[] | undefined;
  port?: string | undefined;
  stage?: string | undefined;
  config?: string | undefined;
  rules?: string | undefined;
  'env-file'?: string | undefined;
}

async function loadFunction(spec: string): Promise<[string, LambdaHandler]> {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new UsageError(`--function must be NAME=PATH[#EXPORT], got ${JSON.stringify(spec)}`);
  const name = spec.slice(0, eq);
  const [file, exportName = 'handler'] = spec.slice(eq + 1).split('#') as [string, string?];
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--function ${name}: cannot load ${file}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof mod[exportName] !== 'function') throw new UsageError(`--function ${name}: ${file} has no exported function ${exportName}`);
  return [name, mod[exportName] as LambdaHandler];
}

/** Starts the gateway; resolves once it listens, with the URL and a close function. */
export async function serve(options: ServeOptions, err: (line: string) => void): Promise<{ url: string; close(): Promise<void> }> {
  if (!options.api) throw new UsageError('--api FILE is required');
  const port = options.port === undefined ? 3000 : Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${JSON.stringify(options.port)}`);
  let api;
  try {
    api = await loadApi(options.api);
  } catch (error) {
    if (error instanceof ApiDocumentError) throw new UsageError(error.message);
    throw error;
  }
  const functions = new Map<string, LambdaHandler>();
  for (const spec of options.function ?? []) {
    const [name, fn] = await loadFunction(spec);
    functions.set(name, fn);
  }
  const resolved = await resolveEnv(options['env-file'], options.config);
  const env = options.rules ? { ...resolved.env, RULES_FILE: options.rules } : resolved.env;
  // Authorizers the document names without a module given are Tollgate's own, configured as for invoke.
  const unmapped = [...api.authorizers.values()].flatMap((a) => (a.type === 'jwt' ? [] : [a.functionName])).filter((name) => !functions.has(name));
  if (unmapped.length > 0) {
    if (resolved.notice) err(`tollgate: ${resolved.notice}`);
    const own = createHandler(createAuthorizer(cliAuthorizerConfig(env, resolved.file))) as unknown as LambdaHandler;
    for (const name of unmapped) functions.set(name, own);
  }
  let gateway;
  try {
    gateway = createGateway({ api, functions, ...(options.stage ? { stage: options.stage } : {}) });
  } catch (error) {
    await resolved.close();
    throw new UsageError((error as Error).message);
  }
  const server = createGatewayServer(gateway);
  const { url } = await server.listen(port);
  err(`tollgate: serving ${api.title} at ${url} (Tollgate's authorizer: ${unmapped.join(', ') || 'none'}; Ctrl-C to stop)`);
  return {
    url,
    close: async () => {
      await server.close();
      await resolved.close();
    },
  };
}
