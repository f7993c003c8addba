// REST API REQUEST authorizer (spec section 2): headers, query string, path and stage variables,
// requestContext, and the methodArn. No `version` field (that is HTTP API 1.0).
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { describeTokenSource, readToken, type TokenRead } from '../token-source.js';
import {
  isOptionalMap,
  isRecord,
  parseExecuteApiArn,
  type AuthRequest,
  type ExecuteApiArn,
  type ShapeAdapter,
} from './base.js';
import { flatIamResult, IAM_RESERVED, type IamResult } from './result.js';

/** The maps a REQUEST event may carry; each an object, or null from the console's test invoke (types S12). */
export const REQUEST_MAPS = [
  'headers',
  'multiValueHeaders',
  'queryStringParameters',
  'multiValueQueryStringParameters',
  'pathParameters',
  'stageVariables',
] as const;

export function requestMapsValid(event: Readonly<Record<string, unknown>>): boolean {
  return REQUEST_MAPS.every((k) => isOptionalMap(event[k]));
}

/**
 * Method and path from the methodArn, not from `httpMethod`/`path`. The methodArn is what API
 * Gateway checks the returned policy against, for this request and for every later request the
 * cached policy answers, so a rule decision and the policy built from the same rules see the same
 * method and path. It is also the only path relative to the API itself:
 * - it has no stage (`…/{stage}/{verb}/{path}`, [doc S1, S3]), and the path-parameter values
 *   are filled in (`/pets/a1b2`, not the `resource` template `/pets/{petId}`);
 * - behind a custom domain with a base path mapping, API Gateway strips the base path before
 *   choosing the resource ("would invoke the /hats resource", AWS rest-api-mappings), while the
 *   event's `path` keeps it (`/basePath/event`: ribtoks/listing#10; powertools-lambda#34 and
 *   powertools-lambda-python#579 add `strip_prefixes` for this), and `requestContext.path` holds
 *   the stage or the base path.
 */
export function requestFromMethodArn(
  shape: AuthRequest['shape'],
  event: { readonly methodArn: string; readonly resource?: unknown },
  arnParts: ExecuteApiArn,
  read: TokenRead,
  identityKey: string,
): AuthRequest {
  return {
    shape,
    token: read.token,
    malformedAuth: read.malformed,
    method: arnParts.verb,
    path: arnParts.path,
    arn: event.methodArn,
    arnParts,
    identityKey,
    routeTemplate: typeof event.resource === 'string' ? event.resource : undefined,
  };
}

export const restRequest: ShapeAdapter<APIGatewayRequestAuthorizerEvent, IamResult> = {
  shape: 'rest-request',

  check(event) {
    if (
      !isRecord(event) ||
      event.type !== 'REQUEST' ||
      event.version !== undefined ||
      typeof event.httpMethod !== 'string'
    )
      return undefined;
    if (
      (typeof event.path !== 'string' && typeof event.resource !== 'string') ||
      !requestMapsValid(event)
    )
      return undefined;
    return parseExecuteApiArn(event.methodArn, 'http');
  },

  extract(event, arnParts, source) {
    return requestFromMethodArn(
      'rest-request',
      event,
      arnParts,
      readToken(source, event),
      describeTokenSource(source),
    );
  },

  format(outcome, options) {
    return flatIamResult(outcome, options, IAM_RESERVED, options.usageIdentifierKey);
  },
};
