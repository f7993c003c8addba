// `tollgate serve`, step eight: serve.websocket, a WebSocket API on the same server: $connect
// authorized by a Lambda authorizer (Tollgate's own unless it names one), routes run by functions.
import type { Server } from 'node:http';
import { UsageError } from '../core/errors.js';
import type { Assumptions } from '../gateway/authorize.js';
import { MAX_AUTHORIZER_RESULT_BYTES } from '../gateway/authorize.js';
import { LOCAL_API } from '../gateway/events.js';
import { invoke, type LambdaHandler } from '../gateway/invoke.js';
import { attachWebSocketApi, type RouteFunction, type WebSocketApi } from '../gateway/websocket.js';
import { OWN_WEBSOCKET_AUTHORIZER } from './serve-authorizers.js';
import type { WebSocketSetting } from './serve-settings.js';

export interface WebSocketStart {
  readonly setting: WebSocketSetting;
  readonly functions: ReadonlyMap<string, LambdaHandler>;
  readonly stage: string;
  readonly stageVariables: Readonly<Record<string, string>>;
  readonly assumptions: Partial<Assumptions>;
  readonly log: (entry: Record<string, unknown>) => void;
}

const LOCAL_INVOKE = { now: Date.now, region: LOCAL_API.region, account: LOCAL_API.account };

export function startWebSocket(server: Server, o: WebSocketStart): WebSocketApi {
  const authorizerName = o.setting.authorizer ?? OWN_WEBSOCKET_AUTHORIZER;
  const authorizerFn = o.functions.get(authorizerName);
  if (!authorizerFn)
    throw new UsageError(
      `serve.websocket.authorizer names the function ${authorizerName}, which has no module`,
    );
  const routes = Object.entries(o.setting.routes).map(([key, name]) => [
    key,
    routeFunction(name, o.functions),
  ]);
  return attachWebSocketApi(server, {
    path: o.setting.path,
    stage: o.stage,
    authorizer: {
      name: authorizerName,
      identitySources: o.setting.identitySource,
      invoke: (event) =>
        invoke(authorizerFn, event, {
          ...LOCAL_INVOKE,
          functionName: authorizerName,
          requestId: 'ws',
          timeoutMs: 10_000,
          maxResultBytes: MAX_AUTHORIZER_RESULT_BYTES,
        }),
    },
    routes: Object.fromEntries(routes) as Record<string, RouteFunction>,
    stageVariables: o.stageVariables,
    assumptions: o.assumptions,
    log: o.log,
  });
}

function routeFunction(name: string, functions: ReadonlyMap<string, LambdaHandler>): RouteFunction {
  const handler = functions.get(name);
  if (!handler)
    throw new UsageError(
      `serve.websocket names the function ${name}, which has no module (serve.functions or --function)`,
    );
  return (event) =>
    invoke(handler, event, {
      ...LOCAL_INVOKE,
      functionName: name,
      requestId: String(
        (event.requestContext as { requestId?: unknown } | undefined)?.requestId ?? 'ws',
      ),
      timeoutMs: 29_000,
    });
}
