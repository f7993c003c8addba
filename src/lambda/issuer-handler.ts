import type {
  APIGatewayAuthorizerResult,
  APIGatewayTokenAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { singleIssuerAuthorizer } from './authorizer.js';
import { createHandler } from './handler.js';
import type { Runtime } from './runtime.js';

/**
 * The handler over one issuer's runtime, without route rules: an Allow or Deny policy over the
 * API's routes, an `Unauthorized` error (401), or another error (500). It answers every shape, as
 * createHandler does (a TOKEN event, as typed here, always gets an IAM result).
 * @example createIssuerHandler(createRuntime(configFromEnv(process.env)))
 */
export function createIssuerHandler(
  runtime: Runtime,
): (
  event: APIGatewayTokenAuthorizerEvent,
  context?: Pick<Context, 'awsRequestId'>,
) => Promise<APIGatewayAuthorizerResult> {
  return createHandler(singleIssuerAuthorizer(runtime)) as (
    event: APIGatewayTokenAuthorizerEvent,
    context?: Pick<Context, 'awsRequestId'>,
  ) => Promise<APIGatewayAuthorizerResult>;
}
