import type { AuthorizerHandler, HandlerOptions } from './handler.js';
import type { Authorizer } from './authorizer.js';
import { createTokenPath } from './token-path.js';

/**
 * The deployed handler: the synchronous TOKEN path (token-path.ts) for the common case, the
 * general handler for everything else. The general handler, with every other event shape and the
 * route rules' policy building, is imported on first need, so a cold TOKEN call never loads it.
 */
export function createLambdaHandler(
  authorizer: Authorizer,
  options: HandlerOptions = {},
): AuthorizerHandler {
  let general: AuthorizerHandler | undefined;
  const generalHandler: AuthorizerHandler = async (event, context) => {
    general ??= (await import('./handler.js')).createHandler(authorizer, options);
    return general(event, context);
  };
  const fast = createTokenPath(authorizer, options);
  if (fast === undefined) return generalHandler;
  return async (event, context) => fast(event, context) ?? generalHandler(event, context);
}
