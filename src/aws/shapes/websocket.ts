// WebSocket API `$connect` authorizer (spec section 8, [doc S22]): REQUEST type only, methodArn
// `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect` (no HTTP verb), no path
// parameters, requestContext with `eventType: "CONNECT"` and `routeKey: "$connect"`.
import type { APIGatewayEventWebsocketRequestContextV2 } from 'aws-lambda';
import { describeTokenSource, readToken } from '../token-source.js';
import { isOptionalMap, isRecord, parseExecuteApiArn, type ShapeAdapter } from './base.js';
import { flatIamResult, IAM_RESERVED, type IamResult } from './result.js';

/** @types/aws-lambda has no type for it: a REST-like REQUEST event with a WebSocket request context. */
export interface WebSocketConnectAuthorizerEvent {
  readonly type: 'REQUEST';
  readonly methodArn: string;
  readonly headers?: Record<string, string | undefined> | null;
  readonly multiValueHeaders?: Record<string, string[] | undefined> | null;
  readonly queryStringParameters?: Record<string, string | undefined> | null;
  readonly multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  readonly stageVariables?: Record<string, string | undefined> | null;
  readonly requestContext: Partial<APIGatewayEventWebsocketRequestContextV2> & {
    readonly routeKey: string;
    readonly eventType: string;
    readonly identity?: { readonly sourceIp: string; readonly userAgent?: string };
  };
}

const MAPS = [
  'headers',
  'multiValueHeaders',
  'queryStringParameters',
  'multiValueQueryStringParameters',
  'stageVariables',
] as const;

export const websocket: ShapeAdapter<WebSocketConnectAuthorizerEvent, IamResult> = {
  shape: 'websocket',

  // The methodArn and the request context must agree that this is a connect: either alone could be
  // a REST event whose path happens to end in `$connect`.
  check(event) {
    if (!isRecord(event) || event.type !== 'REQUEST' || event.version !== undefined)
      return undefined;
    const ctx = event.requestContext;
    if (!isRecord(ctx) || (ctx.eventType !== 'CONNECT' && ctx.routeKey !== '$connect'))
      return undefined;
    if (!MAPS.every((k) => isOptionalMap(event[k]))) return undefined;
    const arnParts = parseExecuteApiArn(event.methodArn, 'websocket');
    return arnParts?.verb === '$connect' ? arnParts : undefined;
  },

  // No HTTP method; the path is the route key, fixed for a connect. Browsers cannot set headers
  // on a WebSocket, so `query:NAME` is the usual token source here.
  extract(event, arnParts, source) {
    const read = readToken(source, event);
    return {
      shape: 'websocket',
      token: read.token,
      malformedAuth: read.malformed,
      method: undefined,
      path: '$connect',
      arn: event.methodArn,
      arnParts,
      identityKey: describeTokenSource(source),
      routeTemplate: '$connect',
    };
  },

  // IAM policy with a flat context, as REST ([doc S22]: "similar to that for REST APIs"). No
  // usageIdentifierKey: usage plans are REST only (spec section 9).
  format(outcome, options) {
    return flatIamResult(outcome, options, IAM_RESERVED, undefined);
  },
};
