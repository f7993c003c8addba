// API Gateway's limits on an authorizer result (spec section 3), apart from the formatter that
// applies them, so the Lambda's TOKEN path can check against them without loading it.

/** API Gateway's limit on an authorizer result (spec section 3, from the WebSocket quota table [doc S2]). */
export const MAX_RESULT_BYTES = 8192;

/** The longest policy `Resource` API Gateway accepts (spec section 3 [doc S3]). */
export const MAX_RESOURCE_LENGTH = 512;

/**
 * REST proxy integrations receive `requestContext.authorizer = { principalId, integrationLatency,
 * ...context }` (spec section 5, types S12): a context key with either name would shadow or be
 * shadowed by API Gateway's own, so the backend could read a claim as the principal. [infer]
 */
export const IAM_RESERVED: ReadonlySet<string> = new Set(['principalId', 'integrationLatency']);
