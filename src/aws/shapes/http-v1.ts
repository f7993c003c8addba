// HTTP API Lambda authorizer, payload format 1.0 (spec section 6, [doc S19]): the REST REQUEST
// event plus `version: "1.0"`, `identitySource` and `authorizationToken` (both the identity-source
// values joined with commas, so neither is a reliable token: the token is read from the request
// itself). The answer is an IAM policy.
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describeTokenSource, readToken } from '../token-source.js';
import { isRecord, parseExecuteApiArn, type ShapeAdapter } from './base.js';
import { requestFromMethodArn, requestMapsValid } from './rest-request.js';
import { flatIamResult, IAM_RESERVED, type IamResult } from './result.js';

/** @types/aws-lambda has no type for it: the REST REQUEST event with the 1.0 additions. */
export type HttpApiV1AuthorizerEvent = APIGatewayRequestAuthorizerEvent & {
  readonly version: '1.0';
  /** The identity-source values joined with commas; absent or null when no identity source is configured. */
  readonly identitySource?: string | null;
  readonly authorizationToken?: string | null;
};

/**
 * `claims` is reserved in 1.0 contexts ([doc S19]; spec section 6): API Gateway puts a JWT
 * authorizer's claims at `requestContext.authorizer.claims` for 1.0 integrations (spec section 5).
 * A context key named `claims` is left out (and reported in `droppedInvalid`), not renamed: a
 * renamed key would be a name the backend never asked for, and the caller can choose another name.
 */
export const HTTP_V1_RESERVED: ReadonlySet<string> = new Set([...IAM_RESERVED, 'claims']);

const optionalText = (v: unknown): boolean =>
  v === undefined || v === null || typeof v === 'string';

export const httpV1: ShapeAdapter<HttpApiV1AuthorizerEvent, IamResult> = {
  shape: 'http-v1',

  check(event) {
    if (
      !isRecord(event) ||
      event.type !== 'REQUEST' ||
      event.version !== '1.0' ||
      typeof event.httpMethod !== 'string'
    )
      return undefined;
    if (typeof event.path !== 'string' && typeof event.resource !== 'string') return undefined;
    if (!optionalText(event.identitySource) || !requestMapsValid(event)) return undefined;
    return parseExecuteApiArn(event.methodArn, 'http');
  },

  // Method and path from the methodArn, for the reasons given at requestFromMethodArn. For HTTP
  // APIs it matters more: on a named stage the 1.0 `path` keeps the stage (`/dev/test`, with
  // `resourcePath` `/test`: dougmoscrop/serverless-http#143), and behind a custom domain it keeps
  // the API mapping ("Use format 1.0 and path to access the API mapping", [doc] http-api-develop-integrations-lambda).
  extract(event, arnParts, source) {
    return requestFromMethodArn(
      'http-v1',
      event,
      arnParts,
      readToken(source, event),
      describeTokenSource(source),
    );
  },

  // No usageIdentifierKey: usage plans and API keys are REST API features (spec section 9).
  format(outcome, options) {
    return flatIamResult(outcome, options, HTTP_V1_RESERVED, undefined);
  },
};
