// A local REST API Gateway as a pure function of the request: route, authorize, integrate, log.
// server.ts puts node:http around it; tests and benchmarks may call handle() directly.
import { randomUUID } from 'node:crypto';
import { batchedLogLine } from './log-batch.js';
import {
  authorize,
  identityValues,
  DEFAULT_ASSUMPTIONS,
  type Assumptions,
  type AuthorizeDeps,
  type AuthResult,
} from './authorize.js';
import { createAuthorizerCache, type AuthorizerCache } from './authorizer-cache.js';
import { isPreflight, preflightResponse, withCors } from './cors.js';
import { createResponder, type Responder, type ResponseInput } from './gateway-responses.js';
import { bodyProblem, missingParameters } from './validators.js';
import {
  AUTHORIZER_HEADER,
  authorizerReport,
  jwtAuthorizerReport,
  type AuthorizerReport,
  type DecisionNote,
} from './authorizer-header.js';
import {
  headerValue,
  httpView,
  requestView,
  splitValues,
  type AuthorizerDelivery,
  type Headers,
  type HttpAuthorizerDelivery,
  type HttpView,
  type Query,
  type RequestView,
} from './events.js';
import { runIntegration, type IntegrationDeps } from './integrations.js';
import { routeWithStage } from './stage-prefix.js';
import type { LambdaHandler } from './invoke.js';
import { createJwtAuthorizer, type JwtAuthorizer } from './jwt-authorizer.js';
import { createCognitoAuthorizer, type PoolMapping } from './cognito-authorizer.js';
import type { CognitoAuthorizerSpec } from './cognito-spec.js';
import type {
  ApiDefinition,
  JwtAuthorizerSpec,
  LambdaAuthorizerSpec,
  Operation,
} from './openapi.js';
import type { RouteMatch } from './routes.js';
import { apiKeyFor } from './usage-plans.js';
import type { GatewayResponse, GatewayResponseType } from './responses.js';
import { redact, redactText } from './redact.js';
import { authorizerExplanation } from './authorizer-explanations.js';
import { errorResponse } from './error-responses.js';

export interface GatewayRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/pets/1`. */
  readonly path: string;
  /** Any case; several values as a list. */
  readonly headers: Headers;
  readonly query: Query;
  /** The query string as sent, without `?` (HTTP APIs pass it as rawQueryString). */
  readonly rawQuery?: string;
  /**
   * The body, or a function that reads it (the server's: nothing is read from the socket until
   * called, so a refused request's body is never buffered). Read it with `requestBody`, only after
   * authorization; it may reject with a BodyRefused, which the gateway answers (413/408/503).
   */
  readonly body?: Buffer | string | (() => Promise<Buffer>) | undefined;
  readonly sourceIp?: string;
}

/** The request's body as bytes, read now if it was not yet (after authorization, never before). */
function requestBody(req: GatewayRequest): Buffer | undefined | Promise<Buffer> {
  const { body } = req;
  if (body === undefined || Buffer.isBuffer(body)) return body;
  return typeof body === 'function' ? body() : Buffer.from(body, 'utf8');
}

export interface GatewayOptions {
  readonly api: ApiDefinition;
  /** The stage name, in ARNs and `requestContext`; default `local` for REST, `$default` for HTTP APIs. */
  readonly stage?: string;
  /** Local functions by the name in the ARNs (`…:function:NAME`): authorizers and aws_proxy integrations. */
  readonly functions: ReadonlyMap<string, LambdaHandler>;
  readonly stageVariables?: Readonly<Record<string, string>>;
  /** The clock of the result cache and of the functions' deadlines; injectable for tests. */
  readonly now?: () => number;
  /** API Gateway's authorizer timeout: 10 s. */
  readonly authorizerTimeoutMs?: number;
  /** API Gateway's integration timeout: 29 s. */
  readonly integrationTimeoutMs?: number;
  readonly assumptions?: Partial<Assumptions>;
  /** One JSON object per line: the access log and explanations; default stdout. */
  readonly log?: (entry: Record<string, unknown>) => void;
  readonly cache?: AuthorizerCache;
  /** Log each authorizer event and result (`tollgate serve --verbose`). */
  readonly verbose?: boolean;
  /** REST usage plans, checked for methods that require an API key. */
  readonly usage?: UsageGate;
  /** `tollgate serve`: add `x-tollgate-authorizer` (what the authorizer decided and why) to each authorized route's response. Never deployed. */
  readonly authorizerHeader?: boolean;
  /** Why Tollgate's own authorizer decided as it did, by the request id it was invoked with. */
  readonly decisionNotes?: (requestId: string) => DecisionNote | undefined;
  /** Cognito user pools whose keys are elsewhere (`--cognito POOL_ID=URL|dev`), by pool id. */
  readonly cognitoPools?: ReadonlyMap<string, PoolMapping>;
}

/** What the gateway needs of usage plans (src/gateway/usage-plans.ts builds one). */
interface UsageGate {
  check(input: {
    apiKey: string | undefined;
    resourcePath: string;
    httpMethod: string;
  }):
    | { readonly ok: true; readonly keyName: string }
    | { readonly ok: false; readonly response: GatewayResponseType; readonly detail: string };
}

export interface Gateway {
  handle(request: GatewayRequest): Promise<GatewayResponse>;
  readonly cache: AuthorizerCache;
  /** The API's answer of a type, customised as its gateway responses say (for refusals before handle). */
  respond?(
    type: GatewayResponseType,
    request: { readonly requestId: string; readonly headers?: Headers },
  ): GatewayResponse;
}

// API Gateway refuses a methodArn over 1600 bytes with 414 (spec section 1).
const MAX_ARN_BYTES = 1600;

/**
 * The report as a header: JSON with everything past ASCII escaped, as header values must be. The
 * page reads it from its own origin, so no CORS setting of the API's is changed to expose it.
 */
function withAuthorizerHeader(
  response: GatewayResponse,
  report: AuthorizerReport,
): GatewayResponse {
  const value = JSON.stringify(report).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return { ...response, headers: { ...response.headers, [AUTHORIZER_HEADER]: value } };
}

/** What the gateway builds once and every request reads: the API, its functions, the settings. */
interface GatewayContext {
  readonly api: ApiDefinition;
  readonly options: GatewayOptions;
  readonly functions: ReadonlyMap<string, LambdaHandler>;
  readonly defaultStage: string;
  readonly stageVariables: Readonly<Record<string, string>>;
  readonly now: () => number;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly cache: AuthorizerCache;
  readonly assumptions: Assumptions;
  readonly authorizerTimeoutMs: number;
  readonly integrationTimeoutMs: number;
  /** Each operation's request validation, once looked up. */
  readonly validations: Map<Operation, { readonly validation: Validation | undefined }>;
  /** What every integration run reads, built once. */
  readonly integrationDeps: IntegrationDeps;
  readonly verbose: boolean;
  readonly responder: Responder;
  readonly jwtAuthorizers: ReadonlyMap<string, JwtAuthorizer>;
  /** Per Lambda authorizer: what each of its runs needs (authorizeDeps). */
  readonly authorizeDeps: Map<string, AuthorizeDeps>;
}

/** One request on its way through; the log line and what a gateway response may read grow as it gets further. */
interface Exchange {
  readonly req: GatewayRequest;
  readonly requestId: string;
  readonly started: number;
  readonly method: string;
  readonly entry: Record<string, unknown>;
  report: AuthorizerReport | undefined;
  /** The request's views once routed: what a gateway response may read grows as the request gets further. */
  view: RequestView | undefined;
  /** What the authorizer returned, once it ran. */
  authorizerOutput: ResponseInput['authorizer'];
}

/** A request matched to an operation, with the event views built for it. */
interface RoutedRequest {
  readonly operation: Operation;
  readonly stage: string;
  readonly view: RequestView;
  /** HTTP APIs only. */
  readonly http: HttpView | undefined;
}

/** What authorization hands on to the integration. */
interface Authorized {
  /** A Lambda authorizer's result. */
  readonly auth?: AuthResult;
  readonly httpDelivery?: HttpAuthorizerDelivery;
  /** A REST API's JWT authorizer (Tollgate's own): what the integration's requestContext gets. */
  readonly jwtDelivery?: AuthorizerDelivery;
}

/** A step's early answer: the request stops here. */
interface Stop {
  readonly stop: GatewayResponse;
}

const isStop = (value: object): value is Stop => 'stop' in value;

export function createGateway(options: GatewayOptions): Gateway {
  const g = createContext(options);
  return {
    cache: g.cache,
    respond: (type, request) =>
      g.responder(type, {
        requestId: request.requestId,
        headers: splitValues(request.headers ?? {})[0],
        stageVariables: g.stageVariables,
      }),
    handle: async (req) => {
      try {
        return await handle(g, req);
      } catch (error) {
        // A bug here must cost one request, never the server.
        const requestId = randomUUID();
        g.log({
          event: 'gateway_error',
          method: req.method,
          path: req.path,
          requestId,
          message: (error as Error).message,
        });
        return g.responder('INTERNAL_ERROR', { requestId });
      }
    },
  };
}

function createContext(options: GatewayOptions): GatewayContext {
  const { api } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? batchedLogLine;
  const jwtAuthorizers = new Map<string, JwtAuthorizer>();
  const pools = options.cognitoPools ?? new Map<string, PoolMapping>();
  for (const a of api.authorizers.values())
    if (a.type === 'jwt') jwtAuthorizers.set(a.name, createJwtAuthorizer(a, { now, log, pools }));
    else if (a.type === 'cognito')
      jwtAuthorizers.set(a.name, createCognitoAuthorizer(a, { now, log, pools }));
  requireFunctions(api, options.functions);
  return {
    api,
    options,
    functions: options.functions,
    defaultStage: options.stage ?? (api.flavour === 'http' ? '$default' : 'local'),
    stageVariables: options.stageVariables ?? {},
    now,
    log,
    cache: options.cache ?? createAuthorizerCache({ now }),
    assumptions: { ...DEFAULT_ASSUMPTIONS, ...options.assumptions },
    authorizerTimeoutMs: options.authorizerTimeoutMs ?? 10_000,
    integrationTimeoutMs: options.integrationTimeoutMs ?? 29_000,
    validations: new Map(),
    integrationDeps: {
      functions: options.functions,
      timeoutMs: options.integrationTimeoutMs ?? 29_000,
      now,
      flavour: api.flavour,
      binaryMediaTypes: api.binaryMediaTypes,
    },
    verbose: options.verbose ?? false,
    responder: createResponder(api.gatewayResponses, api.flavour),
    jwtAuthorizers,
    authorizeDeps: new Map(),
  };
}

/** A function the document names but nobody provides is a start-up error, not a 500 per request. */
function requireFunctions(api: ApiDefinition, functions: ReadonlyMap<string, LambdaHandler>): void {
  const needed = new Set<string>();
  for (const a of api.authorizers.values())
    if (a.type !== 'jwt' && a.type !== 'cognito') needed.add(a.functionName);
  for (const op of api.routes.operations)
    if (op.integration.type === 'aws_proxy' || op.integration.type === 'aws')
      needed.add(op.integration.functionName);
  const missing = [...needed].filter((name) => !functions.has(name));
  if (missing.length)
    throw new Error(
      `no local function for ${missing.join(', ')}: the API document names ${missing.length > 1 ? 'them' : 'it'} in an ARN`,
    );
}

/** The whole gateway: route (and CORS), authorize, API key, validate, integrate; each may answer early. */
async function handle(g: GatewayContext, req: GatewayRequest): Promise<GatewayResponse> {
  const x = startExchange(req);
  const routed = route(g, x);
  if (isStop(routed)) return routed.stop;
  const authorized = await authorizeRequest(g, x, routed);
  if (isStop(authorized)) return authorized.stop;
  const keyRefusal = checkApiKey(g, x, routed, authorized.auth);
  if (keyRefusal) return keyRefusal;
  const validated = await validateRequest(g, x, routed);
  if (isStop(validated)) return validated.stop;
  return integrate(g, x, routed, authorized, validated.body);
}

function startExchange(req: GatewayRequest): Exchange {
  const requestId = randomUUID();
  const started = performance.now();
  const method = req.method.toUpperCase();
  return {
    req,
    requestId,
    started,
    method,
    entry: { event: 'request', method, path: req.path, requestId },
    report: undefined,
    view: undefined,
    authorizerOutput: undefined,
  };
}

/** What a gateway response may read: more of it as the request got further (built only for a refusal). */
function answerInput(g: GatewayContext, x: Exchange): ResponseInput {
  const { view } = x;
  const base = view
    ? {
        requestId: x.requestId,
        headers: view.headers,
        query: view.queryStringParameters,
        stageVariables: g.stageVariables,
        pathParameters: view.pathParameters,
        context: view.requestContext,
      }
    : {
        requestId: x.requestId,
        headers: splitValues(x.req.headers)[0],
        query: splitValues(x.req.query)[0],
        stageVariables: g.stageVariables,
      };
  return x.authorizerOutput ? { ...base, authorizer: x.authorizerOutput } : base;
}

/** The gateway's own answer of a type, customised as the API's gateway responses say. */
function respond(
  g: GatewayContext,
  x: Exchange,
  type: GatewayResponseType,
  extra: Partial<ResponseInput> = {},
): GatewayResponse {
  return g.responder(type, { ...answerInput(g, x), ...extra });
}

/** Every answer leaves through here: CORS headers, the access log line, the authorizer report. */
function finish(
  g: GatewayContext,
  x: Exchange,
  answer: GatewayResponse,
  extra: Record<string, unknown>,
  preflight = false,
): GatewayResponse {
  const { api } = g;
  // HTTP API CORS: every answer, the gateway's refusals included, carries the configured headers.
  const response = api.cors && !preflight ? withCors(api.cors, x.req.headers, answer) : answer;
  // The line is the exchange's entry, completed in place: finish runs once per request.
  const { entry } = x;
  entry.status = response.status;
  Object.assign(entry, extra);
  entry.durationMs = Math.round(performance.now() - x.started);
  g.log(entry);
  return x.report && g.options.authorizerHeader
    ? withAuthorizerHeader(response, x.report)
    : response;
}

/** Finds the operation (the stage in the path or not), answers a CORS preflight, builds the event views. */
function route(g: GatewayContext, x: Exchange): RoutedRequest | Stop {
  const { api, options } = g;
  const { path, stage, match } = routeWithStage(
    api.routes,
    x.method,
    x.req.path,
    g.defaultStage,
    options.stage === undefined,
  );
  // API Gateway answers a preflight itself, before any authorizer, unless a route takes OPTIONS
  // for the path (an OPTIONS or ANY route, or $default: AWS sends the preflight there).
  if (api.cors && !match && isPreflight(x.method, x.req.headers)) {
    const preflight = preflightResponse(api.cors, x.req.headers, x.requestId);
    return { stop: finish(g, x, preflight, { reason: 'CORS_PREFLIGHT' }, true) };
  }
  if (!match)
    return {
      stop: finish(g, x, respond(g, x, 'MISSING_AUTHENTICATION_TOKEN'), { reason: 'NO_ROUTE' }),
    };
  const routed = describeRequest(g, x, path, stage, match);
  if (Buffer.byteLength(routed.view.methodArn) > MAX_ARN_BYTES)
    return { stop: finish(g, x, respond(g, x, 'URI_TOO_LONG'), { reason: 'ARN_TOO_LONG' }) };
  return routed;
}

/** The request as the authorizer and the integration see it (REST view; HTTP API view too). */
function describeRequest(
  g: GatewayContext,
  x: Exchange,
  path: string,
  stage: string,
  match: RouteMatch,
): RoutedRequest {
  const { operation } = match;
  const routeKey = operation.isDefault ? '$default' : `${operation.method} ${operation.template}`;
  x.entry.route = routeKey;
  const nowMs = g.now();
  const sourceIp = x.req.sourceIp ?? '127.0.0.1';
  const view: RequestView = requestView({
    requestId: x.requestId,
    method: x.method,
    path,
    resource: operation.isDefault ? '/{proxy+}' : operation.template,
    stage,
    headers: x.req.headers,
    query: x.req.query,
    pathParameters: match.pathParameters,
    stageVariables: g.stageVariables,
    sourceIp,
    nowMs,
  });
  x.view = view;
  const http =
    g.api.flavour === 'http'
      ? httpView(view, { routeKey, rawQueryString: x.req.rawQuery ?? '', sourceIp, nowMs })
      : undefined;
  return { operation, stage, view, http };
}

/** Runs the route's authorizer, if it has one: Tollgate's JWT authorizer or a Lambda authorizer. */
async function authorizeRequest(
  g: GatewayContext,
  x: Exchange,
  routed: RoutedRequest,
): Promise<Authorized | Stop> {
  const name = routed.operation.authorizer;
  const spec = name === undefined ? undefined : g.api.authorizers.get(name)!;
  if (spec === undefined) return {};
  x.entry.authorizer = spec.name;
  return spec.type === 'jwt' || spec.type === 'cognito'
    ? runJwtAuthorizer(g, x, routed, spec)
    : runLambdaAuthorizer(g, x, routed, spec);
}

// Tollgate's JWT authorizer refuses with a status; the gateway answers with the response type for it.
const JWT_REFUSALS = {
  401: 'UNAUTHORIZED',
  403: 'ACCESS_DENIED',
  500: 'AUTHORIZER_CONFIGURATION_ERROR',
} as const satisfies Record<number, GatewayResponseType>;

async function runJwtAuthorizer(
  g: GatewayContext,
  x: Exchange,
  { operation, view, http }: RoutedRequest,
  spec: JwtAuthorizerSpec | CognitoAuthorizerSpec,
): Promise<Authorized | Stop> {
  const identity = identityValues(spec.identitySources, view, http);
  x.report = jwtAuthorizerReport(spec.name, false, 401, 'IDENTITY_MISSING', undefined);
  if (identity === undefined)
    return {
      stop: finish(g, x, respond(g, x, 'UNAUTHORIZED'), { reason: 'IDENTITY_MISSING' }),
    };
  const started = performance.now();
  const outcome = await g.jwtAuthorizers.get(spec.name)!.authorize(identity[0]!, operation.scopes);
  x.report = outcome.ok
    ? jwtAuthorizerReport(spec.name, true, undefined, 'ALLOW', undefined)
    : jwtAuthorizerReport(spec.name, false, outcome.status, outcome.reason, outcome.detail);
  const authLog = { authorizerLatencyMs: Math.round(performance.now() - started), cache: 'off' };
  if (!outcome.ok) {
    const message = outcome.message === undefined ? {} : { message: outcome.message };
    const refusal = respond(g, x, JWT_REFUSALS[outcome.status], message);
    const headers =
      outcome.wwwAuthenticate === undefined
        ? refusal.headers
        : { ...refusal.headers, 'www-authenticate': outcome.wwwAuthenticate };
    const extra = { ...authLog, reason: outcome.reason, detail: outcome.detail };
    return { stop: finish(g, x, { ...refusal, headers }, extra) };
  }
  Object.assign(x.entry, authLog, { reason: 'ALLOW', principal: outcome.principal });
  if (http)
    return { httpDelivery: { kind: 'jwt', claims: outcome.claims, scopes: outcome.scopes } };
  return {
    jwtDelivery: {
      principalId: outcome.principal,
      integrationLatency: authLog.authorizerLatencyMs,
      context: {},
      claims: outcome.claims,
      ...(outcome.claimsOnly ? { claimsOnly: true } : {}),
    },
  };
}

async function runLambdaAuthorizer(
  g: GatewayContext,
  x: Exchange,
  routed: RoutedRequest,
  spec: LambdaAuthorizerSpec,
): Promise<Authorized | Stop> {
  const { view, http } = routed;
  const auth = await authorize(spec, view, authorizeDeps(g, spec), http);
  // What authenticates the caller never reaches a log line, whole or in part (README "Security").
  let found: readonly string[] | undefined;
  const secrets = (): readonly string[] =>
    (found ??= identityValues(spec.identitySources, view, http) ?? []);
  const arn = http ? http.routeArn : view.methodArn;
  // The report is only read for x-tollgate-authorizer: built only when that header is on.
  if (g.options.authorizerHeader)
    x.report = authorizerReport(spec.name, auth, arn, g.now(), (text) =>
      redactText(text, secrets()),
    );
  const authLog = {
    reason: auth.reason,
    authorizerLatencyMs: auth.latencyMs,
    cache: auth.cache,
    principal: auth.output?.principalId,
    detail: auth.detail === undefined ? undefined : redactText(auth.detail, secrets()),
  };
  if (auth.stale) logStalePolicy(g, x, routed, spec, auth.stale);
  const explained = authorizerExplanation(spec.name, auth);
  if (explained)
    g.log({ ...explained, requestId: x.requestId, authorizer: spec.name, status: auth.response });
  if (g.verbose) logAuthorizerExchange(g, x, spec, auth, secrets());
  if (auth.output) x.authorizerOutput = auth.output;
  if (auth.response !== undefined)
    return { stop: finish(g, x, respond(g, x, auth.response), authLog) };
  Object.assign(x.entry, authLog);
  if (!http || !auth.output) return { auth };
  const { principalId, context } = auth.output;
  return { auth, httpDelivery: { kind: 'lambda', principalId, context } };
}

/** What the authorizer's runs share, built once per authorizer (again only if its function changed). */
function authorizeDeps(g: GatewayContext, spec: LambdaAuthorizerSpec): AuthorizeDeps {
  const handler = g.functions.get(spec.functionName)!;
  const kept = g.authorizeDeps.get(spec.name);
  if (kept?.handler === handler) return kept;
  const { decisionNotes } = g.options;
  const deps: AuthorizeDeps = {
    handler,
    cache: g.cache,
    timeoutMs: g.authorizerTimeoutMs,
    now: g.now,
    assumptions: g.assumptions,
    ...(decisionNotes ? { noteFor: decisionNotes } : {}),
  };
  g.authorizeDeps.set(spec.name, deps);
  return deps;
}

/** A 403 from a cached policy issued for another route puzzles everyone once: say why. */
function logStalePolicy(
  g: GatewayContext,
  x: Exchange,
  { stage, view, http }: RoutedRequest,
  spec: LambdaAuthorizerSpec,
  stale: NonNullable<AuthResult['stale']>,
): void {
  g.log({
    event: 'stale_cached_policy',
    requestId: x.requestId,
    authorizer: spec.name,
    methodArn: http ? http.routeArn : view.methodArn,
    issuedFor: stale.issuedFor,
    ageSeconds: stale.ageSeconds,
    ttlSeconds: spec.ttlSeconds,
    explanation:
      `403 from the cache: the policy "${spec.name}" returned ${stale.ageSeconds} s ago allows only what it was issued for (${stale.issuedFor}), ` +
      `and API Gateway reuses it for every route of this authorizer for ${spec.ttlSeconds} s without invoking it again. ` +
      `Return a policy covering every route (e.g. …/${stage}/*/*), or set authorizerResultTtlInSeconds to 0.`,
  });
}

/** `--verbose`: the authorizer's event and result, the caller's credentials redacted. */
function logAuthorizerExchange(
  g: GatewayContext,
  x: Exchange,
  spec: LambdaAuthorizerSpec,
  auth: AuthResult,
  secrets: readonly string[],
): void {
  const seen = redact(
    { authorizerEvent: auth.event, authorizerResult: auth.raw },
    secrets,
  ) as Record<string, unknown>;
  g.log({
    event: 'authorizer',
    requestId: x.requestId,
    authorizer: spec.name,
    cache: auth.cache,
    invoked: auth.invoked,
    ...(auth.event !== undefined ? { authorizerEvent: seen.authorizerEvent } : {}),
    ...(auth.raw !== undefined ? { authorizerResult: seen.authorizerResult } : {}),
  });
}

/** A method that requires a key is refused without one of a plan's keys, plans configured or not. */
function checkApiKey(
  g: GatewayContext,
  x: Exchange,
  { operation, view }: RoutedRequest,
  auth: AuthResult | undefined,
): GatewayResponse | undefined {
  if (!operation.apiKeyRequired) return undefined;
  const { usage } = g.options;
  if (!usage)
    return finish(g, x, respond(g, x, 'INVALID_API_KEY'), {
      reason: 'INVALID_API_KEY',
      detail: 'the method requires an API key and no usage plan is configured',
    });
  const checked = usage.check({
    apiKey: apiKeyFor(g.api.apiKeySource, view.multiValueHeaders, auth?.output?.usageIdentifierKey),
    resourcePath: operation.template,
    httpMethod: x.method,
  });
  if (!checked.ok)
    return finish(g, x, respond(g, x, checked.response), {
      reason: checked.response,
      detail: checked.detail,
    });
  x.entry.apiKey = checked.keyName;
  return undefined;
}

type Validation = NonNullable<ReturnType<NonNullable<ApiDefinition['validations']>['get']>>;

/** An operation's validation, looked up once per gateway (the key was a string built on every request). */
function validationOf(g: GatewayContext, operation: Operation): Validation | undefined {
  const { validations } = g.api;
  if (validations === undefined) return undefined;
  let found = g.validations.get(operation);
  if (found === undefined) {
    found = { validation: validations.get(`${operation.method} ${operation.template}`) };
    g.validations.set(operation, found);
  }
  return found.validation;
}

/** Request validation, as API Gateway does it: after authorization, parameters before the body. */
async function validateRequest(
  g: GatewayContext,
  x: Exchange,
  { operation, view }: RoutedRequest,
): Promise<{ readonly body: Buffer | undefined } | Stop> {
  const validation = validationOf(g, operation);
  const missing = validation
    ? missingParameters(validation.parameters, {
        headers: view.headers,
        query: view.queryStringParameters,
        pathParameters: view.pathParameters,
      })
    : [];
  if (missing.length) {
    const message = `Missing required request parameters: [${missing.join(', ')}]`;
    const answer = respond(g, x, 'BAD_REQUEST_PARAMETERS', { message });
    return { stop: finish(g, x, answer, { reason: 'BAD_REQUEST_PARAMETERS', detail: message }) };
  }
  let body: Buffer | undefined;
  try {
    body = await requestBody(x.req);
  } catch (error) {
    const refused = errorResponse(error);
    if (refused)
      return { stop: finish(g, x, respond(g, x, refused.type), { reason: refused.reason }) };
    throw error;
  }
  const contentType = headerValue(view.headers, 'content-type');
  const problem = validation?.bodies.size
    ? bodyProblem(validation.bodies, contentType, body)
    : undefined;
  if (problem === undefined) return { body };
  const answer = respond(g, x, 'BAD_REQUEST_BODY', { validationError: problem });
  return { stop: finish(g, x, answer, { reason: 'BAD_REQUEST_BODY', detail: problem }) };
}

/** Calls the route's integration with what the authorizer passed on, and answers with its result. */
async function integrate(
  g: GatewayContext,
  x: Exchange,
  { operation, view, http }: RoutedRequest,
  { auth, httpDelivery, jwtDelivery }: Authorized,
  body: Buffer | undefined,
): Promise<GatewayResponse> {
  const delivery = auth?.output
    ? {
        principalId: auth.output.principalId,
        integrationLatency: auth.latencyMs,
        context: auth.output.context,
      }
    : jwtDelivery;
  const result = await runIntegration(
    operation.integration,
    view,
    body,
    http ? { http, authorizer: httpDelivery } : { authorizer: delivery },
    g.integrationDeps,
  );
  const answer = result.failure
    ? respond(g, x, result.failure, result.message === undefined ? {} : { message: result.message })
    : result.response;
  return finish(g, x, answer, {
    reason: x.entry.reason ?? 'PUBLIC',
    ...(result.error ? { integrationError: result.error } : {}),
  });
}
