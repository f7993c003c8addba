// A local REST API Gateway as a pure function of the request: route, authorize, integrate, log.
// server.ts puts node:http around it; tests and benchmarks may call handle() directly.
import { randomUUID } from 'node:crypto';
import { writeLogLine } from '../lambda/log-line.js';
import {
  authorize,
  identityValues,
  DEFAULT_ASSUMPTIONS,
  type Assumptions,
  type AuthResult,
} from './authorize.js';
import { createAuthorizerCache, type AuthorizerCache } from './authorizer-cache.js';
import { isPreflight, preflightResponse, withCors } from './cors.js';
import { createResponder, type ResponseInput } from './gateway-responses.js';
import { bodyProblem, missingParameters } from './validators.js';
import {
  AUTHORIZER_HEADER,
  authorizerReport,
  jwtAuthorizerReport,
  type AuthorizerReport,
  type DecisionNote,
} from './authorizer-header.js';
import {
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
import { runIntegration } from './integrations.js';
import { routeWithStage } from './stage-prefix.js';
import type { LambdaHandler } from './invoke.js';
import { createJwtAuthorizer, type JwtAuthorizer } from './jwt-authorizer.js';
import type { ApiDefinition } from './openapi.js';
import { apiKeyFor } from './usage-plans.js';
import type { GatewayResponse, GatewayResponseType } from './responses.js';
import { redact, redactText } from './redact.js';
import { BodyRefused } from './request-body.js';

export { LOCAL_API } from './events.js';
export type { GatewayResponse } from './responses.js';

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
export async function requestBody(req: GatewayRequest): Promise<Buffer | undefined> {
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
}

/** What the gateway needs of usage plans (src/gateway/usage-plans.ts builds one). */
export interface UsageGate {
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

export function createGateway(options: GatewayOptions): Gateway {
  const { api, functions } = options;
  const flavour = api.flavour;
  const defaultStage = options.stage ?? (flavour === 'http' ? '$default' : 'local');
  const now = options.now ?? Date.now;
  const log = options.log ?? writeLogLine;
  const cache = options.cache ?? createAuthorizerCache({ now });
  const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS, ...options.assumptions };
  const authorizerTimeoutMs = options.authorizerTimeoutMs ?? 10_000;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? 29_000;
  const verbose = options.verbose ?? false;
  const responder = createResponder(api.gatewayResponses, flavour);

  // A function the document names but nobody provides is a start-up error, not a 500 per request.
  const needed = new Set<string>();
  const jwtAuthorizers = new Map<string, JwtAuthorizer>();
  for (const a of api.authorizers.values()) {
    if (a.type === 'jwt') jwtAuthorizers.set(a.name, createJwtAuthorizer(a, { now, log }));
    else needed.add(a.functionName);
  }
  for (const op of api.routes.operations)
    if (op.integration.type === 'aws_proxy' || op.integration.type === 'aws')
      needed.add(op.integration.functionName);
  const missing = [...needed].filter((name) => !functions.has(name));
  if (missing.length)
    throw new Error(
      `no local function for ${missing.join(', ')}: the API document names ${missing.length > 1 ? 'them' : 'it'} in an ARN`,
    );

  async function handle(req: GatewayRequest): Promise<GatewayResponse> {
    const requestId = randomUUID();
    const started = performance.now();
    const method = req.method.toUpperCase();
    const entry: Record<string, unknown> = { event: 'request', method, path: req.path, requestId };
    let report: AuthorizerReport | undefined;
    const finish = (
      answer: GatewayResponse,
      extra: Record<string, unknown>,
      preflight = false,
    ): GatewayResponse => {
      // HTTP API CORS: every answer, the gateway's refusals included, carries the configured headers.
      const response = api.cors && !preflight ? withCors(api.cors, req.headers, answer) : answer;
      log({
        ...entry,
        status: response.status,
        ...extra,
        durationMs: Math.round(performance.now() - started),
      });
      return report && options.authorizerHeader ? withAuthorizerHeader(response, report) : response;
    };

    // What a gateway response may read: more of it as the request gets further.
    let answerInput: ResponseInput = {
      requestId,
      headers: splitValues(req.headers)[0],
      query: splitValues(req.query)[0],
      stageVariables: options.stageVariables ?? {},
    };
    const respond = (
      type: GatewayResponseType,
      extra: Partial<ResponseInput> = {},
    ): GatewayResponse => responder(type, { ...answerInput, ...extra });
    const { path, stage, match } = routeWithStage(
      api.routes,
      method,
      req.path,
      defaultStage,
      options.stage === undefined,
    );
    // API Gateway answers a preflight itself, before any authorizer, unless a route takes OPTIONS
    // for the path (an OPTIONS or ANY route, or $default: AWS sends the preflight there).
    if (api.cors && !match && isPreflight(method, req.headers))
      return finish(
        preflightResponse(api.cors, req.headers, requestId),
        { reason: 'CORS_PREFLIGHT' },
        true,
      );
    if (!match) return finish(respond('MISSING_AUTHENTICATION_TOKEN'), { reason: 'NO_ROUTE' });
    const { operation } = match;
    const routeKey = operation.isDefault ? '$default' : `${operation.method} ${operation.template}`;
    entry.route = routeKey;
    const nowMs = now();
    const sourceIp = req.sourceIp ?? '127.0.0.1';
    const view: RequestView = requestView({
      requestId,
      method,
      path,
      resource: operation.isDefault ? '/{proxy+}' : operation.template,
      stage,
      headers: req.headers,
      query: req.query,
      pathParameters: match.pathParameters,
      stageVariables: options.stageVariables ?? {},
      sourceIp,
      nowMs,
    });
    answerInput = {
      ...answerInput,
      headers: view.headers,
      query: view.queryStringParameters,
      pathParameters: view.pathParameters,
      context: view.requestContext,
    };
    const http: HttpView | undefined =
      flavour === 'http'
        ? httpView(view, { routeKey, rawQueryString: req.rawQuery ?? '', sourceIp, nowMs })
        : undefined;
    if (Buffer.byteLength(view.methodArn) > MAX_ARN_BYTES)
      return finish(respond('URI_TOO_LONG'), { reason: 'ARN_TOO_LONG' });

    let auth: AuthResult | undefined;
    let httpDelivery: HttpAuthorizerDelivery | undefined;
    let jwtDelivery: AuthorizerDelivery | undefined;
    const spec =
      operation.authorizer === undefined ? undefined : api.authorizers.get(operation.authorizer)!;
    if (spec?.type === 'jwt') {
      entry.authorizer = spec.name;
      const identity = identityValues(spec.identitySources, view, http);
      report = jwtAuthorizerReport(spec.name, false, 401, 'IDENTITY_MISSING', undefined);
      if (identity === undefined)
        return finish(respond('UNAUTHORIZED'), { reason: 'IDENTITY_MISSING' });
      const started = performance.now();
      const outcome = await jwtAuthorizers
        .get(spec.name)!
        .authorize(identity[0]!, operation.scopes);
      report = outcome.ok
        ? jwtAuthorizerReport(spec.name, true, undefined, 'ALLOW', undefined)
        : jwtAuthorizerReport(spec.name, false, outcome.status, outcome.reason, outcome.detail);
      const authLog = {
        authorizerLatencyMs: Math.round(performance.now() - started),
        cache: 'off',
      };
      if (!outcome.ok) {
        const refusal = respond(
          outcome.status === 401
            ? 'UNAUTHORIZED'
            : outcome.status === 403
              ? 'ACCESS_DENIED'
              : 'AUTHORIZER_CONFIGURATION_ERROR',
        );
        const headers =
          outcome.wwwAuthenticate === undefined
            ? refusal.headers
            : { ...refusal.headers, 'www-authenticate': outcome.wwwAuthenticate };
        return finish(
          { ...refusal, headers },
          { ...authLog, reason: outcome.reason, detail: outcome.detail },
        );
      }
      Object.assign(entry, authLog, { reason: 'ALLOW', principal: outcome.principal });
      if (http) httpDelivery = { kind: 'jwt', claims: outcome.claims, scopes: outcome.scopes };
      else
        jwtDelivery = {
          principalId: outcome.principal,
          integrationLatency: authLog.authorizerLatencyMs,
          context: {},
          claims: outcome.claims,
        };
    } else if (spec) {
      entry.authorizer = spec.name;
      auth = await authorize(
        spec,
        view,
        {
          handler: functions.get(spec.functionName)!,
          cache,
          timeoutMs: authorizerTimeoutMs,
          now,
          assumptions,
          ...(options.decisionNotes ? { noteFor: options.decisionNotes } : {}),
        },
        http,
      );
      // What authenticates the caller never reaches a log line, whole or in part (README "Security").
      const secrets = identityValues(spec.identitySources, view, http) ?? [];
      report = authorizerReport(
        spec.name,
        auth,
        http ? http.routeArn : view.methodArn,
        now(),
        (text) => redactText(text, secrets),
      );
      const authLog = {
        reason: auth.reason,
        authorizerLatencyMs: auth.latencyMs,
        cache: auth.cache,
        principal: auth.output?.principalId,
        detail: auth.detail === undefined ? undefined : redactText(auth.detail, secrets),
      };
      if (auth.stale) {
        log({
          event: 'stale_cached_policy',
          requestId,
          authorizer: spec.name,
          methodArn: http ? http.routeArn : view.methodArn,
          issuedFor: auth.stale.issuedFor,
          ageSeconds: auth.stale.ageSeconds,
          ttlSeconds: spec.ttlSeconds,
          explanation:
            `403 from the cache: the policy "${spec.name}" returned ${auth.stale.ageSeconds} s ago allows only what it was issued for (${auth.stale.issuedFor}), ` +
            `and API Gateway reuses it for every route of this authorizer for ${spec.ttlSeconds} s without invoking it again. ` +
            `Return a policy covering every route (e.g. …/${stage}/*/*), or set authorizerResultTtlInSeconds to 0.`,
        });
      }
      if (verbose) {
        const seen = redact(
          { authorizerEvent: auth.event, authorizerResult: auth.raw },
          secrets,
        ) as Record<string, unknown>;
        log({
          event: 'authorizer',
          requestId,
          authorizer: spec.name,
          cache: auth.cache,
          invoked: auth.invoked,
          ...(auth.event !== undefined ? { authorizerEvent: seen.authorizerEvent } : {}),
          ...(auth.raw !== undefined ? { authorizerResult: seen.authorizerResult } : {}),
        });
      }
      if (auth.output) answerInput = { ...answerInput, authorizer: auth.output };
      if (auth.response !== undefined) return finish(respond(auth.response), authLog);
      Object.assign(entry, authLog);
      if (http && auth.output)
        httpDelivery = {
          kind: 'lambda',
          principalId: auth.output.principalId,
          context: auth.output.context,
        };
    }

    // A method that requires a key is refused without one of a plan's keys, plans configured or not.
    if (operation.apiKeyRequired && !options.usage)
      return finish(respond('INVALID_API_KEY'), {
        reason: 'INVALID_API_KEY',
        detail: 'the method requires an API key and no usage plan is configured',
      });
    if (operation.apiKeyRequired && options.usage) {
      const usage = options.usage.check({
        apiKey: apiKeyFor(
          api.apiKeySource,
          view.multiValueHeaders,
          auth?.output?.usageIdentifierKey,
        ),
        resourcePath: operation.template,
        httpMethod: method,
      });
      if (!usage.ok)
        return finish(respond(usage.response), { reason: usage.response, detail: usage.detail });
      entry.apiKey = usage.keyName;
    }

    // Request validation, as API Gateway does it: after authorization, parameters before the body.
    const validation = api.validations?.get(`${operation.method} ${operation.template}`);
    const missing = validation
      ? missingParameters(validation.parameters, {
          headers: view.headers,
          query: view.queryStringParameters,
          pathParameters: view.pathParameters,
        })
      : [];
    if (missing.length) {
      const message = `Missing required request parameters: [${missing.join(', ')}]`;
      return finish(respond('BAD_REQUEST_PARAMETERS', { message }), {
        reason: 'BAD_REQUEST_PARAMETERS',
        detail: message,
      });
    }
    let body: Buffer | undefined;
    try {
      body = await requestBody(req);
    } catch (error) {
      if (error instanceof BodyRefused)
        return finish(respond(error.response), { reason: error.reason });
      throw error;
    }
    const problem = validation?.bodies.size
      ? bodyProblem(
          validation.bodies,
          Object.entries(view.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1],
          body,
        )
      : undefined;
    if (problem !== undefined)
      return finish(respond('BAD_REQUEST_BODY', { validationError: problem }), {
        reason: 'BAD_REQUEST_BODY',
        detail: problem,
      });
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
      {
        functions,
        timeoutMs: integrationTimeoutMs,
        now,
        flavour,
        binaryMediaTypes: api.binaryMediaTypes,
      },
    );
    return finish(
      result.failure
        ? respond(result.failure, result.message === undefined ? {} : { message: result.message })
        : result.response,
      {
        reason: entry.reason ?? 'PUBLIC',
        ...(result.error ? { integrationError: result.error } : {}),
      },
    );
  }

  return {
    cache,
    respond: (type, request) =>
      responder(type, {
        requestId: request.requestId,
        headers: splitValues(request.headers ?? {})[0],
        stageVariables: options.stageVariables ?? {},
      }),
    handle: async (req) => {
      try {
        return await handle(req);
      } catch (error) {
        // A bug here must cost one request, never the server.
        const requestId = randomUUID();
        log({
          event: 'gateway_error',
          method: req.method,
          path: req.path,
          requestId,
          message: (error as Error).message,
        });
        return responder('INTERNAL_ERROR', { requestId });
      }
    },
  };
}
