// Shared by the floor and the peer stacks, so every stack answers with the same policy shape as
// Tollgate (an Allow over the stage's routes, the token's scope in the context) and differences in
// the table come from verification, not from how the answer is built.

/** The token of `Bearer <token>`; anything else is refused like a bad token. */
export function bearer(authorization) {
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer '))
    throw unauthorized();
  return authorization.slice(7);
}

/** API Gateway answers 401 only for this exact message. */
export function unauthorized() {
  return new Error('Unauthorized');
}

/**
 * The policy covers every route of the stage, as Tollgate's does: API Gateway caches the answer
 * per token, so an Allow for the first methodArn alone would 403 the caller's next route.
 */
export function allow(principalId, methodArn, scope) {
  const apiStart = methodArn.lastIndexOf(':') + 1;
  const stageEnd = methodArn.indexOf('/', methodArn.indexOf('/', apiStart) + 1);
  return {
    principalId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: `${methodArn.slice(0, stageEnd)}/*/*`,
        },
      ],
    },
    context: scope === undefined ? {} : { scope },
  };
}

/** The settings Tollgate reads, read the same way by every stack. */
export function settings(env = process.env) {
  return {
    issuer: env.TOKEN_ISSUER,
    audience: env.AUDIENCE,
    jwksUri: env.JWKS_URI,
    algorithms: (env.ALGORITHMS ?? 'RS256').split(/[\s,]+/).filter(Boolean),
  };
}
