import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { dirname, resolve } from 'node:path';
import { loadConfigFile, formatConfigError } from '../settings/file.js';
import type { FileConfig } from '../settings/file-validate.js';
import { DEFAULT_ASSUMPTIONS, MAX_AUTHORIZER_RESULT_BYTES } from '../gateway/authorize.js';
import { createGateway, type Gateway } from '../gateway/gateway.js';
import { createDecisionNotes } from '../gateway/authorizer-header.js';
import { startFunctionWorker, type FunctionWorker } from '../gateway/function-worker.js';
import { LOCAL_API } from '../gateway/events.js';
import { invoke, type LambdaHandler } from '../gateway/invoke.js';
import { BASE_PATH_MODES, type BasePathMode } from '../gateway/base-path.js';
import { ApiDocumentError, loadApi, type ApiDefinition } from '../gateway/openapi.js';
import { createGatewayServer, type Mount } from '../gateway/server.js';
import { createUsagePlans, validateUsagePlans, type UsagePlan } from '../gateway/usage-plans.js';
import { attachWebSocketApi, type RouteFunction, type WebSocketApi } from '../gateway/websocket.js';
import { createDevProvider, type DevProvider } from '../idp/dev-provider.js';
import { cognitoTargets, resolveCognitoPools, withCognitoScopes } from './cognito-option.js';
import { writeLogLine } from '../lambda/log-line.js';
import { createAuthorizer } from '../lambda/authorizer.js';
import { createHandler } from '../lambda/handler.js';
import { createPageMount, PETSTORE_ENDPOINTS, type PageConfig } from '../web/page-mount.js';
import { DEV_AUDIENCE, devIssuerFor, loadDevKey, refuseHalfIssuer } from '../idp/dev-issuer.js';
import { commandEnv } from './env-file.js';
import { UsageError } from '../core/errors.js';
import { cliAuthorizerConfig, configFilePath } from './load-config.js';
import {
  readServeSettings,
  functionSpec,
  type FunctionSetting,
  type ServeSettings,
} from './serve-settings.js';
import { mintDevToken } from './token-command.js';
import { serveTemplate, type TemplateServe } from './serve-template.js';
import { curlLine, exampleRoute, missingPageRoutes, routeLines } from './serve-banner.js';

export const SERVE_HELP = `Usage: tollgate serve [--api FILE | --template FILE] [options]

A local API Gateway on 127.0.0.1 for an OpenAPI document with API Gateway's extensions, behaving
as API Gateway does: identity sources, the validation expression, the authorizer's result cache,
policy evaluation, the exact 401/403/500 answers, usage plans, REST and HTTP APIs (Lambda and JWT
authorizers) and WebSocket $connect. With no issuer configured it runs a development OpenID
provider at /idp and a sign-in page at /; set TOKEN_ISSUER, JWKS_URI and AUDIENCE (or issuers in
the config file) to use your own identity provider instead.

Options:
  --api FILE                 the OpenAPI 3.0 or Swagger 2.0 document (YAML or JSON)
  --function NAME=PATH[#EXPORT] | NAME=MODULE.EXPORT
                             the local module for a function the document names in its ARNs
                             (repeatable; MODULE.EXPORT as Lambda's handler setting, e.g. index.handler).
                             An authorizer function given no module is Tollgate's own. Its runtime
                             (nodejs20.x, nodejs22.x default, nodejs24.x) and memorySize (default
                             128 MB) are set in serve.functions. A FILE.py[#FUNCTION] (default
                             lambda_handler), or runtime: python3.x, runs Python through
                             TOLLGATE_PYTHON (default python3 on PATH).
  --template FILE            an AWS SAM or CloudFormation template (YAML or JSON) instead of --api:
                             its API, functions (CodeUri, Handler, Runtime, Environment,
                             MemorySize), stage, usage plans and authorizers, as deployed
  --parameter-overrides K=V  the template's parameters (repeatable, or "K1=V1 K2=V2")
  --env-vars FILE            functions' variables in SAM's JSON ({"Function": {"VAR": "value"}})
  --template-api ID          the API to serve when the template has several (its logical id)
  --port N                   default: PORT, else 3000 (0: any free port)
  --stage NAME               default local (REST) or $default (HTTP APIs); requests may also
                             start with it, as invoke URLs do (/prod/pets)
  --basepath MODE            ignore (API Gateway's default), prepend or split: how the document's
                             basePath applies to its paths, as API Gateway's import parameter
  --config FILE              tollgate.config.yaml: the authorizer's settings and a serve: section
                             (api, port, functions with their environment, usagePlans, websocket, page)
  --rules FILE, --env-file FILE
                             as for 'tollgate invoke'
  --cognito POOL_ID=dev|URL  a Cognito user pool's keys: dev (the development provider issues
                             the pool's tokens) or a JWKS URL; repeatable; default: Cognito itself
  --watch                    reload a function when its file changes
  --verbose                  log every authorizer event and result
  -h, --help                 this help

Example: tollgate serve --api examples/petstore.openapi.yaml --function pets=examples/pets.mjs --rules examples/petstore.rules.yaml`;

export interface ServeOptions {
  api?: string | undefined;
  template?: string | undefined;
  'parameter-overrides'?: string[] | undefined;
  'env-vars'?: string | undefined;
  'template-api'?: string | undefined;
  function?: string[] | undefined;
  port?: string | undefined;
  stage?: string | undefined;
  basepath?: string | undefined;
  config?: string | undefined;
  rules?: string | undefined;
  'env-file'?: string | undefined;
  watch?: boolean | undefined;
  verbose?: boolean | undefined;
  cognito?: string[] | undefined;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The development provider, when one runs. */
  readonly devProvider: DevProvider | undefined;
  close(): Promise<void>;
}

type Env = Record<string, string | undefined>;

function parsePort(value: string, what: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`${what} must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

/** The config file and its serve: section, with every problem at FILE:LINE:COL. */
function readConfig(
  path: string,
  env: Env,
): { file: FileConfig; settings: ServeSettings; plans: UsagePlan[] | undefined } {
  const loaded = loadConfigFile(path, { env });
  if (!loaded.ok)
    throw new UsageError(
      formatConfigError(loaded.errors[0]!) +
        (loaded.errors.length > 1 ? ` (and ${loaded.errors.length - 1} more)` : ''),
    );
  const serve = readServeSettings(loaded.config.serve ?? {}, dirname(resolve(path)));
  if (!serve.ok)
    throw new UsageError(
      formatConfigError(loaded.errorAt(serve.issue.path, serve.issue.message, serve.issue.atKey)),
    );
  let plans: UsagePlan[] | undefined;
  if (serve.settings.usagePlans !== undefined) {
    const checked = validateUsagePlans(serve.settings.usagePlans);
    if (!checked.ok) {
      const issue = checked.issues[0]!;
      throw new UsageError(
        formatConfigError(loaded.errorAt(issue.path, issue.message, issue.atKey)),
      );
    }
    plans = checked.plans;
  }
  return { file: loaded.config, settings: serve.settings, plans };
}

/** Every scope a rules document names, so the development provider can grant them. */
function scopesIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) scopesIn(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'scopes') {
        const list = Array.isArray(v)
          ? v
          : typeof v === 'object' && v !== null
            ? Object.values(v).flat()
            : [];
        for (const s of list) if (typeof s === 'string') out.add(s);
      } else scopesIn(v, out);
    }
  }
  return out;
}

/** A template's usage plans, checked as serve.usagePlans are. */
function templatePlans(fromTemplate: TemplateServe | undefined): UsagePlan[] {
  if (!fromTemplate?.usagePlans.length) return [];
  const checked = validateUsagePlans(fromTemplate.usagePlans, { at: ['UsagePlan'] });
  if (!checked.ok)
    throw new UsageError(
      `the template's usage plan: ${checked.issues.map((i) => i.message).join('; ')}`,
    );
  return checked.plans;
}

/** Starts the gateway; resolves once it listens. */
export async function serve(
  options: ServeOptions,
  err: (line: string) => void,
  log: (entry: Record<string, unknown>) => void = writeLogLine,
): Promise<RunningServer> {
  const env: Env = commandEnv(options['env-file'], err);
  if (options.rules) env.RULES_FILE = options.rules;
  const configPath = configFilePath(options.config, env);
  // Without an issuer anywhere, the development provider is the issuer: the file may then omit issuers.
  const probe = configPath
    ? readConfig(configPath, {
        ...env,
        TOKEN_ISSUER: env.TOKEN_ISSUER?.trim() || devIssuerFor(3000),
      })
    : undefined;
  const settings: ServeSettings = probe?.settings ?? {
    functions: {},
    stageVariables: {},
    assumptions: {},
  };
  if (probe?.file.issuers === undefined) refuseHalfIssuer(env);
  const devMode =
    !env.TOKEN_ISSUER?.trim() &&
    probe?.file.issuers === undefined &&
    settings.devProvider !== false;
  if (!env.TOKEN_ISSUER?.trim() && probe?.file.issuers === undefined && !devMode) {
    throw new UsageError(
      'no issuer: set TOKEN_ISSUER (and AUDIENCE), or issuers in the config file, or leave serve.devProvider on',
    );
  }

  const apiPath = options.api ?? settings.api;
  if (options.template && options.api)
    throw new UsageError('--template and --api name two APIs: give one');
  if (!apiPath && !options.template)
    throw new UsageError(
      '--api FILE is required (or serve.api in the config file, or --template FILE)',
    );
  const port =
    options.port !== undefined
      ? parsePort(options.port, '--port')
      : env.PORT?.trim()
        ? parsePort(env.PORT, 'PORT')
        : (settings.port ?? 3000);
  let api: ApiDefinition;
  let fromTemplate: TemplateServe | undefined;
  try {
    const basePath = options.basepath ?? settings.basePath ?? 'ignore';
    if (!BASE_PATH_MODES.includes(basePath as BasePathMode))
      throw new UsageError(
        `--basepath must be ${BASE_PATH_MODES.join(', ')}, got ${JSON.stringify(basePath)}`,
      );
    if (options.template) {
      fromTemplate = serveTemplate({
        template: options.template,
        parameterOverrides: options['parameter-overrides'],
        envVars: options['env-vars'],
        api: options['template-api'],
        basePath: basePath as BasePathMode,
      });
      api = fromTemplate.api;
      for (const line of fromTemplate.lines) err(line);
    } else api = await loadApi(apiPath!, { basePath: basePath as BasePathMode });
  } catch (error) {
    if (error instanceof ApiDocumentError) throw new UsageError(error.message);
    throw error;
  }
  // Settings of the document the local gateway does not emulate: named once each, never dropped silently.
  for (const warning of api.warnings ?? []) err(`tollgate: ${warning.text}`);
  if (api.basePath !== undefined) {
    const served =
      api.basePathMode === 'ignore'
        ? "ignored, as API Gateway's import does by default (--basepath prepend or split, or serve.basePath, to serve the paths under it)"
        : `applied (${api.basePathMode})`;
    err(`tollgate: the document's base path ${api.basePath} is ${served}`);
  }
  const plans = [...(probe?.plans ?? []), ...templatePlans(fromTemplate)];
  const usage = plans.length ? createUsagePlans(plans) : undefined;

  // Functions: the template's, the config file's, then --function (which wins), each in its own worker.
  const specs = new Map<string, FunctionSetting>([
    ...(fromTemplate?.functions ?? []),
    ...Object.entries(settings.functions),
  ]);
  for (const spec of options.function ?? []) {
    const eq = spec.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `--function must be NAME=PATH[#EXPORT] or NAME=MODULE.EXPORT, got ${JSON.stringify(spec)}`,
      );
    try {
      // A function the config file declares keeps its runtime, memory and environment.
      const declared = specs.get(spec.slice(0, eq));
      specs.set(spec.slice(0, eq), functionSpec(spec.slice(eq + 1), process.cwd(), declared ?? {}));
    } catch (error) {
      throw new UsageError(`--function ${spec}: ${(error as Error).message}`);
    }
  }
  const workers = new Map<string, FunctionWorker>();
  const watchers: FSWatcher[] = [];
  const stopAll = async (): Promise<void> => {
    for (const w of watchers) w.close();
    await Promise.all([...workers.values()].map((w) => w.close()));
  };
  try {
    for (const [name, spec] of specs) {
      const worker = startFunctionWorker({
        name,
        handler: spec.handler,
        ...(spec.runtime !== undefined ? { runtime: spec.runtime } : {}),
        ...(env.TOLLGATE_PYTHON?.trim() ? { python: env.TOLLGATE_PYTHON.trim() } : {}),
        memoryMb: spec.memoryMb,
        environment: spec.environment,
        log,
      });
      workers.set(name, worker);
      await worker.ready();
      for (const warning of worker.warnings())
        err(`tollgate: function ${name} (${spec.runtime ?? 'python'}): ${warning}`);
    }
  } catch (error) {
    await stopAll();
    throw new UsageError((error as Error).message);
  }
  const functions = new Map<string, LambdaHandler>(
    [...workers].map(([name, w]) => [name, w.handler]),
  );

  // The server listens first: the development issuer's URL names the port it got.
  const mounts: Mount[] = [];
  let gateway: Gateway | undefined;
  const front: Gateway = {
    get cache() {
      return gateway!.cache;
    },
    // The server waits for `ready` before it calls this: the gateway exists by then.
    handle: (req) => gateway!.handle(req),
    respond: (type, request) => gateway!.respond!(type, request),
  };
  // Requests that come before the gateway, its functions and its mounts are ready wait for them.
  let markReady!: () => void;
  let markFailed!: (error: unknown) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => {});
  const server = createGatewayServer(front, { mounts, log, ready });
  let bound: { url: string; port: number };
  try {
    bound = await server.listen(port);
  } catch (error) {
    await stopAll();
    throw new UsageError(
      `cannot listen on 127.0.0.1:${port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const fail = async (error: unknown): Promise<never> => {
    markFailed(error);
    await server.close();
    await stopAll();
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  };

  let devProvider: DevProvider | undefined;
  let authorizerEnv: Env = env;
  // The file was validated with a stand-in issuer; only the issuers-required check reads TOKEN_ISSUER.
  const file = probe?.file;
  try {
    const cognitoMap = cognitoTargets(settings.cognito ?? {}, options.cognito ?? []);
    const cognitoDev = [...cognitoMap.values()].includes('dev');
    if (devMode) {
      const issuer = devIssuerFor(bound.port);
      const rulesPath =
        env.RULES_FILE ?? (file?.rules?.kind === 'file' ? file.rules.path : undefined);
      let scopes = ['read:pets', 'write:pets'];
      try {
        const rulesDoc = rulesPath
          ? parseYaml(readFileSync(rulesPath, 'utf8'))
          : file?.rules?.kind === 'inline'
            ? file.rules.document
            : undefined;
        const found = scopesIn(rulesDoc);
        if (found.size) scopes = [...found];
      } catch {
        // The authorizer's own loading reports a bad rules file with its position, below.
      }
      devProvider = await createDevProvider({
        issuer,
        audience: env.AUDIENCE?.trim() || DEV_AUDIENCE,
        scopes: cognitoDev ? withCognitoScopes(scopes, api) : scopes,
        redirectUris: [`http://localhost:${bound.port}/`, `http://127.0.0.1:${bound.port}/`],
        key: loadDevKey({ create: true })!,
        log,
        ...(cognitoDev ? { cognito: true } : {}),
      });
      mounts.push(devProvider);
      authorizerEnv = {
        ...env,
        TOKEN_ISSUER: issuer,
        AUDIENCE: devProvider.audience,
        JWKS_URI: `http://127.0.0.1:${bound.port}${devProvider.mountPath}/jwks`,
        ALGORITHMS: 'RS256',
      };
    }

    // Authorizers without a module run Tollgate's own, answering in the form the document asks
    // for: an HTTP API 2.0 authorizer's enableSimpleResponses decides simple or IAM answers.
    const ownHandlers = new Map<string, LambdaHandler>();
    // Why Tollgate's own authorizer decided, for the x-tollgate-authorizer header of each response.
    const notes = createDecisionNotes();
    const own = (overrides: Env): LambdaHandler => {
      const key = JSON.stringify(overrides);
      let handler = ownHandlers.get(key);
      if (!handler) {
        handler = createHandler(
          createAuthorizer(cliAuthorizerConfig({ ...authorizerEnv, ...overrides }, file)),
          { onDecision: notes.record },
        ) as unknown as LambdaHandler;
        ownHandlers.set(key, handler);
      }
      return handler;
    };
    for (const spec of api.authorizers.values()) {
      if (spec.type === 'jwt' || spec.type === 'cognito' || functions.has(spec.functionName))
        continue;
      const overrides: Env = {};
      if (spec.payloadFormatVersion === '2.0') {
        overrides.V2_RESPONSE = spec.simpleResponses ? 'simple' : 'iam';
        if (spec.simpleResponses && spec.ttlSeconds === 0) overrides.V2_SIMPLE_CACHE = 'off';
        else if (
          spec.simpleResponses &&
          spec.identitySources.some((s) => s.kind === 'context' && s.name === 'routeKey')
        )
          overrides.V2_SIMPLE_CACHE = 'per-route';
      }
      try {
        functions.set(spec.functionName, own(overrides));
      } catch (error) {
        throw new UsageError(`authorizer ${spec.name}: ${(error as Error).message}`);
      }
    }
    if (settings.websocket && settings.websocket.authorizer === undefined)
      functions.set('$tollgate', own({}));
    if (
      devProvider &&
      api.routes.operations.some(
        (op) =>
          op.template === devProvider!.mountPath ||
          op.template.startsWith(`${devProvider!.mountPath}/`),
      )
    ) {
      err(
        `tollgate: the development provider at ${devProvider.mountPath} answers before the API's routes under that path`,
      );
    }

    const cognitoPools = resolveCognitoPools(
      cognitoMap,
      api,
      devProvider && {
        issuer: devProvider.issuer,
        jwksUri: `http://127.0.0.1:${bound.port}${devProvider.mountPath}/jwks`,
      },
      err,
    );
    gateway = createGateway({
      api,
      cognitoPools,
      functions,
      ...((options.stage ?? settings.stage ?? fromTemplate?.stage)
        ? { stage: options.stage ?? settings.stage ?? fromTemplate?.stage }
        : {}),
      stageVariables: { ...fromTemplate?.stageVariables, ...settings.stageVariables },
      assumptions: { ...DEFAULT_ASSUMPTIONS, ...settings.assumptions },
      verbose: options.verbose ?? settings.verbose ?? false,
      log,
      authorizerHeader: true,
      decisionNotes: notes.take,
      ...(usage ? { usage } : {}),
    });

    // The sign-in page at /, unless the API serves GET / itself.
    const pageSetting = settings.page ?? true;
    const apiOwnsRoot = api.routes.match('GET', '/') !== undefined;
    let pageConfig: PageConfig | undefined;
    const missingRoutes = missingPageRoutes(api, PETSTORE_ENDPOINTS);
    if (pageSetting !== false && !apiOwnsRoot && missingRoutes.length) {
      err(
        `tollgate: no sign-in page: its buttons call ${missingRoutes.map((e) => `${e.method} ${e.path}`).join(', ')}, which this API does not serve`,
      );
    } else if (pageSetting !== false && !apiOwnsRoot) {
      if (typeof pageSetting === 'object') {
        pageConfig = {
          issuer: pageSetting.issuer,
          clientId: pageSetting.clientId,
          audience: pageSetting.audience,
          scope: pageSetting.scope ?? 'openid',
          extraAuthorizeParams: pageSetting.extraAuthorizeParams,
          endpoints: PETSTORE_ENDPOINTS,
        };
      } else if (devProvider) {
        pageConfig = {
          issuer: devProvider.issuer,
          clientId: devProvider.clients.web.clientId,
          scope: ['openid', ...devProvider.users.flatMap((u) => u.scopes)]
            .filter((s, i, all) => all.indexOf(s) === i)
            .join(' '),
          endpoints: PETSTORE_ENDPOINTS,
        };
      } else {
        err(
          'tollgate: no sign-in page: with your own issuer, set serve.page (issuer, clientId, audience, scope) in the config file',
        );
      }
      const connectOrigins =
        typeof pageSetting === 'object' ? pageSetting.connectOrigins : undefined;
      if (pageConfig)
        mounts.push(createPageMount(pageConfig, connectOrigins ? { connectOrigins } : {}));
    } else if (pageSetting !== false && apiOwnsRoot) {
      err('tollgate: no sign-in page: the API serves GET / itself');
    }

    let ws: WebSocketApi | undefined;
    if (settings.websocket) {
      const w = settings.websocket;
      const asRoute = (name: string): RouteFunction => {
        const handler = functions.get(name);
        if (!handler)
          throw new UsageError(
            `serve.websocket names the function ${name}, which has no module (serve.functions or --function)`,
          );
        return (event) =>
          invoke(handler, event, {
            functionName: name,
            requestId: String(
              (event.requestContext as { requestId?: unknown } | undefined)?.requestId ?? 'ws',
            ),
            timeoutMs: 29_000,
            now: Date.now,
            region: LOCAL_API.region,
            account: LOCAL_API.account,
          });
      };
      const authorizerName = w.authorizer ?? '$tollgate';
      const authorizerFn = functions.get(authorizerName);
      if (!authorizerFn)
        throw new UsageError(
          `serve.websocket.authorizer names the function ${authorizerName}, which has no module`,
        );
      ws = attachWebSocketApi(server.server, {
        path: w.path,
        stage: options.stage ?? settings.stage ?? 'local',
        authorizer: {
          name: authorizerName,
          identitySources: w.identitySource,
          invoke: (event) =>
            invoke(authorizerFn, event, {
              functionName: authorizerName,
              requestId: 'ws',
              timeoutMs: 10_000,
              now: Date.now,
              region: LOCAL_API.region,
              account: LOCAL_API.account,
              maxResultBytes: MAX_AUTHORIZER_RESULT_BYTES,
            }),
        },
        routes: Object.fromEntries(Object.entries(w.routes).map(([key, fn]) => [key, asRoute(fn)])),
        stageVariables: settings.stageVariables,
        assumptions: settings.assumptions,
        log,
      });
    }

    if (options.watch ?? settings.watch) {
      for (const [name, spec] of specs) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        watchers.push(
          watch(spec.file, () => {
            // Editors write a file in several steps: reload once they are done.
            clearTimeout(timer);
            timer = setTimeout(() => {
              const worker = workers.get(name)!;
              worker.reload().then(
                () => log({ event: 'function_reloaded', function: name, file: spec.file }),
                (error: Error) =>
                  log({ event: 'function_reload_failed', function: name, message: error.message }),
              );
            }, 100);
          }),
        );
      }
    }

    const url = `http://localhost:${bound.port}`;
    err(
      `tollgate: serving ${api.title} (${api.flavour === 'http' ? 'HTTP API' : 'REST API'}) at ${url}, routes:`,
    );
    for (const line of routeLines(api)) err(line);
    if (pageConfig) err(`tollgate: sign-in page       ${url}/`);
    const example = exampleRoute(api);
    if (devProvider) {
      err(
        `tollgate: development OpenID provider ${devProvider.issuer} (users: ${devProvider.users.map((u) => `${u.id}: ${u.scopes.join(' ')}`).join('; ')})`,
      );
      const { token } = await mintDevToken({
        iss: devProvider.issuer,
        aud: [devProvider.audience],
        scope: devProvider.users[0]?.scopes.join(' ') ?? 'read:pets',
      });
      if (example)
        err(
          `tollgate: try it${example.authorizer ? ' (token valid for 1 h)' : ''}:\n  ${curlLine(example, url, token)}`,
        );
    } else {
      err(`tollgate: trusting ${authorizerEnv.TOKEN_ISSUER ?? 'the issuers of the config file'}`);
    }
    if (ws) err(`tollgate: WebSocket API     ws://localhost:${bound.port}${ws.path}`);
    err('tollgate: Ctrl-C to stop');
    markReady();

    return {
      url,
      port: bound.port,
      devProvider,
      close: async () => {
        await ws?.close();
        await server.close();
        await stopAll();
      },
    };
  } catch (error) {
    return fail(error);
  }
}
