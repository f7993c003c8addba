// The three operations the handler uses: detect the shape, extract the request, format the answer.
import { AuthorizerFailure } from '../authorizer-failure.js';
import { UNAUTHORIZED } from '../bearer.js';
import { DEFAULT_TOKEN_SOURCE, type TokenSource } from '../token-source.js';
import {
  EventShapeError,
  type AuthRequest,
  type FormatOptions,
  type Formatted,
  type Outcome,
  type Shape,
  type ShapeAdapter,
} from './base.js';
import { httpV1 } from './http-v1.js';
import { httpV2 } from './http-v2.js';
import type { AuthorizerResult } from './result.js';
import { restRequest } from './rest-request.js';
import { restToken } from './rest-token.js';
import { websocket } from './websocket.js';

const ADAPTERS: { readonly [S in Shape]: ShapeAdapter<unknown, AuthorizerResult> } = {
  'rest-token': restToken,
  'rest-request': restRequest,
  'http-v1': httpV1,
  'http-v2': httpV2,
  websocket,
};

// Each test is exclusive (type, then version, then the ARN's form), so the order only saves work:
// the common shapes first.
const ORDER: readonly ShapeAdapter<unknown, AuthorizerResult>[] = [
  restToken,
  httpV2,
  restRequest,
  httpV1,
  websocket,
];

/**
 * The shape of an authorizer event, or undefined for anything else: null, a proxy event, a
 * REQUEST event without a parseable methodArn/routeArn, fields of the wrong type. The caller
 * answers undefined with a failure (EVENT_INVALID, 500), never an Allow.
 * @example detectShape({ type: 'TOKEN', authorizationToken: 'Bearer x', methodArn: 'arn:aws:execute-api:us-east-1:1:a/prod/GET/' }) // 'rest-token'
 */
export function detectShape(event: unknown): Shape | undefined {
  for (const adapter of ORDER) if (adapter.check(event) !== undefined) return adapter.shape;
  return undefined;
}

/**
 * The token, method, path and ARN of an event of the given shape. `source` applies to REQUEST-type
 * shapes; TOKEN events always use authorizationToken.
 * @throws EventShapeError when the event is not of that shape (a caller bug: answer EVENT_INVALID).
 */
export function extractRequest(
  shape: Shape,
  event: unknown,
  source: TokenSource = DEFAULT_TOKEN_SOURCE,
): AuthRequest {
  const adapter = ADAPTERS[shape];
  const arnParts = adapter.check(event);
  if (arnParts === undefined) throw new EventShapeError(shape);
  return adapter.extract(event, arnParts, source);
}

/**
 * detectShape and extractRequest in one pass (the event is checked once): the request, or
 * undefined when the event is of no known shape (EVENT_INVALID).
 * @example readRequest(event, parseTokenSource('query:access_token'))?.token
 */
export function readRequest(
  event: unknown,
  source: TokenSource = DEFAULT_TOKEN_SOURCE,
): AuthRequest | undefined {
  for (const adapter of ORDER) {
    const arnParts = adapter.check(event);
    if (arnParts !== undefined) return adapter.extract(event, arnParts, source);
  }
  return undefined;
}

/**
 * The authorizer's answer in the shape's format.
 *
 * - allow / deny: `{ ok: true, result, info }`, where `info` lists context keys dropped for size
 *   or validity (log them), or `{ ok: false, error }` when the result cannot be sent as is (too
 *   large without context, a Resource over 512 characters, no statements, an Allow in a Deny):
 *   fall back to a smaller policy or fail; never send an Allow instead.
 * - unauthorized: throws exactly `new Error('Unauthorized')`, for every shape. REST and WebSocket
 *   answer 401 to that exact message and 500 to any other (spec section 3, [field S13, S16, S17];
 *   [doc S22] shows a WebSocket authorizer's callback("Unauthorized")). For HTTP APIs (1.0 and 2.0,
 *   simple and IAM) no AWS source confirms it: http-api-lambda-authorizer documents only 401 for a
 *   missing identity source and 500 for an invoke failure or an invalid response, and spec section 6
 *   marks a thrown "Unauthorized" [unconfirmed]. Throwing is still the safest choice:
 *     * it is the only answer that can give 401, which RFC 6750 section 3.1 asks for an invalid
 *       token and which tells clients to get a new one; if HTTP APIs treat it as a function error
 *       instead, the client gets 500: a refusal either way, never an Allow;
 *     * the alternatives are cached as decisions: a simple `isAuthorized: false` "fully ... denies
 *       all API requests that match the cached identity source values" for the TTL ([doc S19]),
 *       as would an IAM Deny, so a token refused for a passing reason (its key not fetched yet
 *       after a rotation, `nbf` a second ahead) would stay refused; and a 403 (re:Post
 *       QU4ik4HXnoRu-OQiSz12By5g reports `isAuthorized: false` as 403 "Forbidden"; localstack#6057
 *       claims an IAM Deny gave 401) tells a client its token is fine but lacks permission.
 * - failure: throws AuthorizerFailure, whose message is never "Unauthorized": 500 on every shape.
 */
export function formatResponse(
  shape: Shape,
  outcome: Outcome,
  options: FormatOptions,
): Formatted<AuthorizerResult> {
  switch (outcome.kind) {
    case 'unauthorized':
      throw new Error(UNAUTHORIZED);
    case 'failure':
      throw new AuthorizerFailure(outcome.code);
    case 'allow':
    case 'deny':
      return ADAPTERS[shape].format(outcome, options);
  }
}
