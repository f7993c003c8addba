import type {
  APIGatewayAuthorizerResult,
  APIGatewayTokenAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { singleIssuerAuthorizer } from './authorizer.js';
import { createHandler } from './handler.js';
import type { Runtime } from './runtime.js';

export { AuthorizerFailure, bearerToken, UNAUTHORIZED } from '../aws/bearer.js';

/**
 * The handler over one issuer's runtime, without route rules: an Allow or Deny policy over the
 * API's routes, an `Unauthorized` error (401), or another error (500). It answers every shape, as
 * createHandler does; the name stays from the first release, which answered TOKEN events only.
 */
export function createTokenHandler(
  runtime: Runtime,
): (
  event: APIGatewayTokenAuthorizerEvent,
  context?: Pick<Context, 'awsRequestId'>,
) => Promise<APIGatewayAuthorizerResult> {
  // A TOKEN event always gets an IAM result.
  return createHandler(singleIssuerAuthorizer(runtime)) as (
    event: APIGatewayTokenAuthorizerEvent,
    context?: Pick<Context, 'awsRequestId'>,
  ) => Promise<APIGatewayAuthorizerResult>;
}
