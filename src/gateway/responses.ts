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
  UNAUTHORIZED: {
    status: 401,
    body: '{"message":"Unauthorized"}',
    errorType: 'UnauthorizedException',
  },
  ACCESS_DENIED_EXPLICIT: {
    status: 403,
    body: '{"Message":"User is not authorized to access this resource with an explicit deny"}',
    errorType: 'AccessDeniedException',
  },
  ACCESS_DENIED: {
    status: 403,
    body: '{"Message":"User is not authorized to access this resource"}',
    errorType: 'AccessDeniedException',
  },
  AUTHORIZER_CONFIGURATION_ERROR: {
    status: 500,
    body: '{"message":null}',
    errorType: 'AuthorizerConfigurationException',
  },
  MISSING_AUTHENTICATION_TOKEN: {
    status: 403,
    body: '{"message":"Missing Authentication Token"}',
    errorType: 'MissingAuthenticationTokenException',
  },
  REQUEST_TOO_LARGE: {
    status: 413,
    body: '{"message":"Request Too Long"}',
    errorType: 'RequestTooLargeException',
  },
  URI_TOO_LONG: {
    status: 414,
    body: '{"message":"Request-URI Too Long"}',
    errorType: 'RequestURITooLongException',
  },
  BAD_REQUEST: { status: 400, body: '{"message":"Bad Request"}', errorType: 'BadRequestException' },
  // Request validators: AWS's texts as its guide shows them ("Test basic request validation");
  // the parameter list is filled in per request.
  BAD_REQUEST_BODY: {
    status: 400,
    body: '{"message": "Invalid request body"}',
    errorType: 'BadRequestException',
  },
  BAD_REQUEST_PARAMETERS: {
    status: 400,
    body: '{"message": "Missing required request parameters: []"}',
    errorType: 'BadRequestException',
  },
  // Tollgate's own bounds on request bodies (README "Security"); API Gateway's edge has its own, undocumented.
  REQUEST_TIMEOUT: {
    status: 408,
    body: '{"message":"Request Timeout"}',
    errorType: 'RequestTimeoutException',
  },
  BODY_BUDGET_EXCEEDED: {
    status: 503,
    body: '{"message":"Service Unavailable"}',
    errorType: 'ServiceUnavailableException',
  },
  INTEGRATION_FAILURE: {
    status: 502,
    body: '{"message": "Internal server error"}',
    errorType: 'InternalServerErrorException',
  },
  INTEGRATION_TIMEOUT: {
    status: 504,
    body: '{"message": "Endpoint request timed out"}',
    errorType: 'InternalServerErrorException',
  },
  INTERNAL_ERROR: {
    status: 500,
    body: '{"message": "Internal server error"}',
    errorType: 'InternalServerErrorException',
  },
  // A mapped integration that cannot answer: no integration response matches and none is default,
  // a template that fails or renders what the integration cannot take (docs/emulation.md).
  API_CONFIGURATION_ERROR: {
    status: 500,
    body: '{"message": "Internal server error"}',
    errorType: 'InternalServerErrorException',
  },
  // No request template for the Content-Type with passthroughBehavior NEVER or WHEN_NO_TEMPLATES (docs/emulation.md).
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    body: '{"message": "Unsupported Media Type"}',
    errorType: 'UnsupportedMediaTypeException',
  },
  // Usage plans (spec section 9). The 403 body is [infer]; the throttle body is [field, weak]; the
  // quota body and error type are [field] from several captures.
  INVALID_API_KEY: {
    status: 403,
    body: '{"message":"Forbidden"}',
    errorType: 'ForbiddenException',
  },
  THROTTLED: {
    status: 429,
    body: '{"message":"Too Many Requests"}',
    errorType: 'TooManyRequestsException',
  },
  QUOTA_EXCEEDED: {
    status: 429,
    body: '{"message":"Limit Exceeded"}',
    errorType: 'LimitExceededException',
  },
} as const satisfies Record<string, Template>;

export type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;

/**
 * HTTP APIs answer with their own, shorter set and no x-amzn-ErrorType (spec section 6: the 403
 * and 500 bodies are [unconfirmed]; these are the ones AWS's HTTP API console and clients show).
 * The request id travels in `apigw-requestid`.
 */
const HTTP_API_RESPONSES: Partial<Record<GatewayResponseType, { status: number; body: string }>> = {
  UNAUTHORIZED: { status: 401, body: '{"message":"Unauthorized"}' },
  ACCESS_DENIED_EXPLICIT: { status: 403, body: '{"message":"Forbidden"}' },
  ACCESS_DENIED: { status: 403, body: '{"message":"Forbidden"}' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, body: '{"message":"Internal Server Error"}' },
  MISSING_AUTHENTICATION_TOKEN: { status: 404, body: '{"message":"Not Found"}' },
  REQUEST_TOO_LARGE: { status: 413, body: '{"message":"Request Entity Too Large"}' },
  URI_TOO_LONG: { status: 414, body: '{"message":"Request-URI Too Long"}' },
  BAD_REQUEST: { status: 400, body: '{"message":"Bad Request"}' },
  REQUEST_TIMEOUT: { status: 408, body: '{"message":"Request Timeout"}' },
  BODY_BUDGET_EXCEEDED: { status: 503, body: '{"message":"Service Unavailable"}' },
  INTEGRATION_FAILURE: { status: 500, body: '{"message":"Internal Server Error"}' },
  INTEGRATION_TIMEOUT: { status: 503, body: '{"message":"Service Unavailable"}' },
  INTERNAL_ERROR: { status: 500, body: '{"message":"Internal Server Error"}' },
};

/** `message` replaces the default text, for answers that name the request's own problem. */
export function gatewayResponse(
  type: GatewayResponseType,
  requestId: string,
  flavour: 'rest' | 'http' = 'rest',
  message?: string,
): GatewayResponse {
  const http = flavour === 'http' ? HTTP_API_RESPONSES[type] : undefined;
  if (http)
    return {
      status: http.status,
      headers: { 'content-type': 'application/json', 'apigw-requestid': requestId },
      body: http.body,
    };
  const t: Template = GATEWAY_RESPONSES[type];
  return {
    status: t.status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-ErrorType': t.errorType,
      'x-amzn-RequestId': requestId,
    },
    // The message in the type's own template: `{"message": ...}` or `{"message":...}` as AWS writes it.
    body:
      message === undefined
        ? t.body
        : `{"message":${t.body.startsWith('{"message": ') ? ' ' : ''}${JSON.stringify(message)}}`,
  };
}
