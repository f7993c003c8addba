// `tollgate serve`, once it listens: the development provider, Tollgate's own authorizers, the
// gateway, the sign-in page, the WebSocket API, --watch and the start-up lines, in that order.
import { DEFAULT_ASSUMPTIONS } from '../gateway/authorize.js';
import { createGateway } from '../gateway/gateway.js';
import type { ApiDefinition } from '../gateway/openapi.js';
import type { WebSocketApi } from '../gateway/websocket.js';
import type { DevProvider } from '../idp/dev-provider.js';
import type { IssuerInput } from '../settings/settings.js';
import { cognitoTargets, resolveCognitoPools } from './cognito-option.js';
import { mintDevToken } from './token-command.js';
import type { ServedApi } from './serve-api.js';
import { addOwnAuthorizers } from './serve-authorizers.js';
import { bannerLines } from './serve-banner.js';
import { addNotRunFunctions, type FunctionPool } from './serve-functions.js';
import type { ServeInputs } from './serve-inputs.js';
import type { Listening } from './serve-listen.js';
import type { ServeOptions } from './serve-options.js';
import { choosePage, pageMount } from './serve-page.js';
import { devJwksUri, startDevProvider } from './serve-provider.js';
import { startWebSocket } from './serve-websocket.js';

export interface ServeContext {
  readonly options: ServeOptions;
  readonly inputs: ServeInputs;
  readonly served: ServedApi;
  readonly pool: FunctionPool;
  readonly listening: Listening;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly err: (line: string) => void;
}

type Dev = { readonly provider: DevProvider; readonly issuer: IssuerInput } | undefined;

/** Everything after the server listens; resolves once requests are answered. */
export async function startGateway(
  c: ServeContext,
): Promise<{ devProvider: DevProvider | undefined; ws: WebSocketApi | undefined }> {
  const { inputs, listening, err } = c;
  const { settings } = inputs;
  const { api } = c.served;
  const cognito = cognitoTargets(settings.cognito ?? {}, c.options.cognito ?? []);
  const dev: Dev = inputs.devMode
    ? await startDevProvider({
        port: listening.port,
        api,
        audience: inputs.env.AUDIENCE,
        rulesFile: inputs.rulesFile,
        file: inputs.file,
        cognito: [...cognito.values()].includes('dev'),
        moreRedirectUris: inputs.env.TOLLGATE_DEV_REDIRECT_URIS,
        log: c.log,
      })
    : undefined;
  if (dev) listening.mounts.push(dev.provider);
  const functions = c.pool.handlers();
  addNotRunFunctions(functions, c.served.fromTemplate?.notRun, c.log);
  const overrides = { issuer: dev?.issuer, rulesFile: c.options.rules };
  const ownWebSocket =
    settings.websocket !== undefined && settings.websocket.authorizer === undefined;
  const notes = addOwnAuthorizers(
    api,
    functions,
    { ...inputs, overrides, templateEnvironments: c.served.fromTemplate?.ownEnvironments },
    ownWebSocket,
  );
  if (dev) warnProviderShadows(dev.provider, api, err);
  const gateway = createGateway({
    api,
    cognitoPools: resolveCognitoPools(cognito, api, dev && standIn(dev.provider, listening), err),
    functions,
    ...gatewayOptions(c),
    authorizerHeader: true,
    decisionNotes: notes.take,
  });
  const page = pageMount(choosePage(settings.page ?? true, api, dev?.provider), err);
  if (page) listening.mounts.push(page);
  const ws = settings.websocket
    ? startWebSocket(listening.server.server, {
        setting: settings.websocket,
        functions,
        stage: c.options.stage ?? settings.stage ?? 'local',
        stageVariables: settings.stageVariables,
        assumptions: settings.assumptions,
        log: c.log,
      })
    : undefined;
  if (c.options.watch ?? settings.watch) c.pool.watch();
  await printBanner(c, { page: page !== undefined, dev: dev?.provider, ws });
  listening.open(gateway);
  return { devProvider: dev?.provider, ws };
}

/** The gateway's stage, stage variables, assumptions, logging and usage plans: flags over the file over the template. */
function gatewayOptions(c: ServeContext): Partial<Parameters<typeof createGateway>[0]> {
  const { settings } = c.inputs;
  const { fromTemplate, usage } = c.served;
  const stage = c.options.stage ?? settings.stage ?? fromTemplate?.stage;
  return {
    ...(stage ? { stage } : {}),
    stageVariables: { ...fromTemplate?.stageVariables, ...settings.stageVariables },
    assumptions: { ...DEFAULT_ASSUMPTIONS, ...settings.assumptions },
    verbose: c.options.verbose ?? settings.verbose ?? false,
    log: c.log,
    ...(usage ? { usage } : {}),
  };
}

function standIn(provider: DevProvider, listening: Listening): { issuer: string; jwksUri: string } {
  return { issuer: provider.issuer, jwksUri: devJwksUri(provider, listening.port) };
}

function warnProviderShadows(
  provider: DevProvider,
  api: ApiDefinition,
  err: (line: string) => void,
): void {
  const under = (template: string): boolean =>
    template === provider.mountPath || template.startsWith(`${provider.mountPath}/`);
  if (api.routes.operations.some((op) => under(op.template)))
    err(
      `tollgate: the development provider at ${provider.mountPath} answers before the API's routes under that path`,
    );
}

async function printBanner(
  c: ServeContext,
  shown: { page: boolean; dev: DevProvider | undefined; ws: WebSocketApi | undefined },
): Promise<void> {
  const { port } = c.listening;
  const dev = shown.dev && {
    issuer: shown.dev.issuer,
    users: shown.dev.users,
    token: await firstUserToken(shown.dev),
  };
  const lines = bannerLines({
    api: c.served.api,
    url: `http://localhost:${port}`,
    page: shown.page,
    dev,
    trusting: c.served.templateIssuer ?? c.inputs.env.TOKEN_ISSUER,
    webSocketUrl: shown.ws && `ws://localhost:${port}${shown.ws.path}`,
  });
  for (const line of lines) c.err(line);
}

async function firstUserToken(provider: DevProvider): Promise<string> {
  const { token } = await mintDevToken({
    iss: provider.issuer,
    aud: [provider.audience],
    scope: provider.users[0]?.scopes.join(' ') ?? 'read:pets',
  });
  return token;
}
