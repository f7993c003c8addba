// API Gateway's default gateway responses (REST), byte for byte: clients and tests compare bodies.

export interface GatewayResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | readonly string[]>>;
  readonly body: string | Buffer;
}

interface Template {
  readonly status: number;
  readonly body: string;
  readonly errorType: string;
}

/**
 * Spec section 3 for the authorizer rows (note the capital M of the 403 bodies, and the JSON
 * `null` of the 500). The rest are API Gateway's well-known answers, not covered by the spec:
 * an unknown resource or method is 403 "Missing Authentication Token", a Lambda proxy function
 * that fails or answers badly is 502, an integration past its timeout is 504.
 */
export const GATEWAY_RESPONSES = {
  UNAUTHORIZED: { status: 401, body: '{"message":"Unauthorized"}', errorType: 'UnauthorizedException' },
  ACCESS_DENIED_EXPLICIT: { status: 403, body: '{"Message":"User is not authorized to access this resource with an explicit deny"}', errorType: 'AccessDeniedException' },
  ACCESS_DENIED: { status: 403, body: '{"Message":"User is not authorized to access this resource"}', errorType: 'AccessDeniedException' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, body: '{"message":null}', errorType: 'AuthorizerConfigurationException' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, body: '{"message":"Missing Authentication Token"}', errorType: 'MissingAuthenticationTokenException' },
  REQUEST_TOO_LARGE: { status: 413, body: '{"message":"Request Too Long"}', errorType: 'RequestTooLargeException' },
  URI_TOO_LONG: { status: 414, body: '{"message":"Request-URI Too Long"}', errorType: 'RequestURITooLongException' },
  BAD_REQUEST: { status: 400, body: '{"message":"Bad Request"}', errorType: 'BadRequestException' },
  INTEGRATION_FAILURE: { status: 502, body: '{"message": "Internal server error"}', errorType: 'InternalServerErrorException' },
  INTEGRATION_TIMEOUT: { status: 504, body: '{"message": "Endpoint request timed out"}', errorType: 'InternalServerErrorException' },
  INTERNAL_ERROR: { status: 500, body: '{"message": "Internal server error"}', errorType: 'InternalServerErrorException' },
} as const satisfies Record<string, Template>;

export type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;

export function gatewayResponse(type: GatewayResponseType, requestId: string): GatewayResponse {
  const t = GATEWAY_RESPONSES[type];
  return {
    status: t.status,
    headers: { 'content-type': 'application/json', 'x-amzn-ErrorType': t.errorType, 'x-amzn-RequestId': requestId },
    body: t.body,
  };
}
