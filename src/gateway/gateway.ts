// A local REST API Gateway as a pure function of the request: route, authorize, integrate, log.
// server.ts puts node:http around it; tests and benchmarks may call handle() directly.
import { randomUUID } from 'node:crypto';
import { writeLogLine } from '../lambda/log-line.js';
import { authorize, DEFAULT_ASSUMPTIONS, type Assumptions, type AuthResult } from './authorize.js';
import { createAuthorizerCache, type AuthorizerCache } from './authorizer-cache.js';
import { requestView, type Headers, type Query, type RequestView } from './events.js';
import { runIntegration } from './integrations.js';
import type { LambdaHandler } from './invoke.js';
import type { ApiDefinition } from './openapi.js';
import { gatewayResponse, type GatewayResponse } from './responses.js';

export { LOCAL_API } from './events.js';
export type { GatewayResponse } from './responses.js';

export interface GatewayRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/pets/1`. */
  readonly path: string;
  /** Any case; several values as a list. */
  readonly headers: Headers;
  readonly query: Query;
  readonly body?: Buffer | string | undefined;
  readonly sourceIp?: string;
}

export interface GatewayOptions {
  readonly api: ApiDefinition;
  /** The stage name, in ARNs and `requestContext`; default `local`. */
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
}

export interface Gateway {
  handle(request: GatewayRequest): Promise<GatewayResponse>;
  readonly cache: AuthorizerCache;
}

// API Gateway refuses a methodArn over 1600 bytes with 414 (spec section 1).
const MAX_ARN_BYTES = 1600;

export function createGateway(options: GatewayOptions): Gateway {
  const { api, functions } = options;
  const stage = options.stage ?? 'local';
  const now = options.now ?? Date.now;
  const log = options.log ?? writeLogLine;
  const cache = options.cache ?? createAuthorizerCache({ now });
  const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS, ...options.assumptions };
  const authorizerTimeoutMs = options.authorizerTimeoutMs ?? 10_000;
  const integrationTimeoutMs = options.integrationTimeoutMs ?? 29_000;

  // A function the document names but nobody provides is a start-up error, not a 500 per request.
  const needed = new Set<string>([...api.authorizers.values()].map((a) => a.functionName));
  for (const op of api.routes.operations) if (op.integration.type === 'aws_proxy') needed.add(op.integration.functionName);
  const missing = [...needed].filter((name) => !functions.has(name));
  if (missing.length) throw new Error(`no local function for ${missing.join(', ')}: the API document names ${missing.length > 1 ? 'them' : 'it'} in an ARN`);

  async function handle(req: GatewayRequest): Promise<GatewayResponse> {
    const requestId = randomUUID();
    const started = performance.now();
    const method = req.method.toUpperCase();
    const entry: Record<string, unknown> = { event: 'request', method, path: req.path, requestId };
    const finish = (response: GatewayResponse, extra: Record<string, unknown>): GatewayResponse => {
      log({ ...entry, status: response.status, ...extra, durationMs: Math.round(performance.now() - started) });
      return response;
    };

    const match = api.routes.match(method, req.path);
    if (!match) return finish(gatewayResponse('MISSING_AUTHENTICATION_TOKEN', requestId), { reason: 'NO_ROUTE' });
    const { operation } = match;
    entry.route = `${operation.method} ${operation.template}`;
    const view: RequestView = requestView({
      requestId,
      method,
      path: req.path,
      resource: operation.template,
      stage,
      headers: req.headers,
      query: req.query,
      pathParameters: match.pathParameters,
      stageVariables: options.stageVariables ?? {},
      sourceIp: req.sourceIp ?? '127.0.0.1',
      nowMs: now(),
    });
    if (Buffer.byteLength(view.methodArn) > MAX_ARN_BYTES) return finish(gatewayResponse('URI_TOO_LONG', requestId), { reason: 'ARN_TOO_LONG' });

    let auth: AuthResult | undefined;
    if (operation.authorizer !== undefined) {
      const spec = api.authorizers.get(operation.authorizer)!;
      entry.authorizer = spec.name;
      auth = await authorize(spec, view, { handler: functions.get(spec.functionName)!, cache, timeoutMs: authorizerTimeoutMs, now, assumptions });
      const authLog = { reason: auth.reason, authorizerLatencyMs: auth.latencyMs, cache: auth.cache, principal: auth.output?.principalId, detail: auth.detail };
      if (auth.stale) {
        log({
          event: 'stale_cached_policy',
          requestId,
          authorizer: spec.name,
          methodArn: view.methodArn,
          issuedFor: auth.stale.issuedFor,
          ageSeconds: auth.stale.ageSeconds,
          ttlSeconds: spec.ttlSeconds,
          explanation:
            `403 from the cache: the policy "${spec.name}" returned ${auth.stale.ageSeconds} s ago allows only what it was issued for (${auth.stale.issuedFor}), ` +
            `and API Gateway reuses it for every route of this authorizer for ${spec.ttlSeconds} s without invoking it again. ` +
            `Return a policy covering every route (e.g. …/${stage}/*/*), or set authorizerResultTtlInSeconds to 0.`,
        });
      }
      if (auth.response !== undefined) return finish(gatewayResponse(auth.response, requestId), authLog);
      Object.assign(entry, authLog);
    }

    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
    const delivery = auth?.output ? { principalId: auth.output.principalId, integrationLatency: auth.latencyMs, context: auth.output.context } : undefined;
    const result = await runIntegration(operation.integration, view, body, delivery, { functions, timeoutMs: integrationTimeoutMs, now });
    return finish(result.response, { reason: entry.reason ?? 'PUBLIC', ...(result.error ? { integrationError: result.error } : {}) });
  }

  return {
    cache,
    handle: async (req) => {
      try {
        return await handle(req);
      } catch (error) {
        // A bug here must cost one request, never the server.
        const requestId = randomUUID();
        log({ event: 'gateway_error', method: req.method, path: req.path, requestId, message: (error as Error).message });
        return gatewayResponse('INTERNAL_ERROR', requestId);
      }
    },
  };
}
