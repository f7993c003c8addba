// HTTP API Lambda authorizer, payload format 2.0 (spec section 6, [doc S19]): routeArn, routeKey,
// rawPath, lower-case headers with repeated values comma-joined, a `cookies` array, and
// requestContext.http. The answer is a simple response or an IAM policy, by configuration.
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { describeTokenSource, readToken } from '../token-source.js';
import {
  isOptionalMap,
  isRecord,
  parseExecuteApiArn,
  type ExecuteApiArn,
  type ShapeAdapter,
} from './base.js';
import {
  iamResult,
  MAX_RESULT_BYTES,
  NO_RESERVED,
  simpleResult,
  type IamResult,
  type SimpleResult,
} from './result.js';

/**
 * The request path relative to the API. `rawPath` keeps a named stage as its first segment
 * (`/dev/applications` for route `GET /applications` on stage `dev`: powertools-lambda-python#621,
 * logandk/serverless-wsgi#191, and a captured authorizer event in swift-aws-lambda-events'
 * tests); the `$default` stage is served at the root and never appears. Behind a custom domain
 * `rawPath` has neither the API mapping ("rawPath won't provide the API mapping value", [doc]
 * http-api-develop-integrations-lambda) nor, then, the stage. So the stage is stripped when it
 * leads the path, unless the routeArn's path is the raw path itself (a custom domain on stage
 * `v1` serving route `/v1/x`). `rawPath` is as the client sent it, percent-encoding included.
 */
export function v2Path(rawPath: string, arn: ExecuteApiArn): string {
  const stage = arn.stage;
  const prefixed =
    stage !== '$default' && (rawPath === `/${stage}` || rawPath.startsWith(`/${stage}/`));
  if (!prefixed || arn.path === rawPath) return rawPath === '' ? '/' : rawPath;
  return rawPath.slice(stage.length + 1) || '/';
}

export const httpV2: ShapeAdapter<APIGatewayRequestAuthorizerEventV2, IamResult | SimpleResult> = {
  shape: 'http-v2',

  check(event) {
    if (!isRecord(event) || event.type !== 'REQUEST' || event.version !== '2.0') return undefined;
    if (
      typeof event.routeKey !== 'string' ||
      typeof event.rawPath !== 'string' ||
      !isRecord(event.requestContext)
    )
      return undefined;
    const cookies = event.cookies;
    if (!(cookies === undefined || cookies === null || Array.isArray(cookies))) return undefined;
    if (!isOptionalMap(event.headers) || !isOptionalMap(event.queryStringParameters))
      return undefined;
    return parseExecuteApiArn(event.routeArn, 'http');
  },

  extract(event, arnParts, source) {
    const read = readToken(source, event);
    const http: unknown = event.requestContext.http;
    const method =
      isRecord(http) && typeof http.method === 'string' ? http.method.toUpperCase() : arnParts.verb;
    return {
      shape: 'http-v2',
      token: read.token,
      malformedAuth: read.malformed,
      method,
      path: v2Path(event.rawPath, arnParts),
      arn: event.routeArn,
      arnParts,
      identityKey: describeTokenSource(source),
      routeTemplate: event.routeKey,
    };
  },

  // The event does not say whether simple responses are enabled, so options.v2Response does.
  // Both forms may carry arrays and objects in the context ([doc S19] examples return arrayKey and
  // mapKey in each), which reaches 2.0 integrations as requestContext.authorizer.lambda (spec section 5).
  //
  // Simple responses cannot name routes: with caching on, API Gateway reuses one for every route
  // of the authorizer unless `$context.routeKey` is an identity source ([doc S19], "Caching
  // authorizer responses"). Route rules with simple responses need that identity source, or a TTL of 0.
  format(outcome, options) {
    const maxBytes = options.maxResultBytes ?? MAX_RESULT_BYTES;
    if (options.v2Response === 'simple')
      return simpleResult(outcome, { mode: 'json', reserved: NO_RESERVED }, maxBytes);
    return iamResult(outcome, {
      mode: 'json',
      reserved: NO_RESERVED,
      usageIdentifierKey: undefined,
      maxBytes,
    });
  },
};
