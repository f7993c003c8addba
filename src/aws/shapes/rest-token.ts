// REST API TOKEN authorizer (spec section 1): { type: "TOKEN", authorizationToken, methodArn } and
// nothing else. The methodArn is the only description of the request, so method and path come from it.
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { readAuthorizationToken } from '../token-read.js';
import { isRecord, parseExecuteApiArn, type ShapeAdapter } from './base.js';
import { flatIamResult, IAM_RESERVED, type IamResult } from './result.js';

export const restToken: ShapeAdapter<APIGatewayTokenAuthorizerEvent, IamResult> = {
  shape: 'rest-token',

  check(event) {
    if (!isRecord(event) || event.type !== 'TOKEN' || typeof event.authorizationToken !== 'string')
      return undefined;
    return parseExecuteApiArn(event.methodArn, 'http');
  },

  // The token source is not configurable here: API Gateway reads the header named in the
  // authorizer's Token Source and passes its value as authorizationToken.
  extract(event, arnParts) {
    const read = readAuthorizationToken(event.authorizationToken);
    return {
      shape: 'rest-token',
      token: read.token,
      malformedAuth: read.malformed,
      method: arnParts.verb,
      path: arnParts.path,
      arn: event.methodArn,
      arnParts,
      identityKey: 'authorizationToken',
    };
  },

  format(outcome, options) {
    return flatIamResult(outcome, options, IAM_RESERVED, options.usageIdentifierKey);
  },
};
