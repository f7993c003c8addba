// API Gateway's Lambda invocation URI for a local function name, as documents under test write it.
export const lambdaUri = (name: string): string =>
  `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${name}/invocations`;

/** An HTTP API document with one native JWT authorizer named `jwt`; `paths` is the YAML under `paths:`. */
export const httpJwtApi = (issuer: string, audience: string, paths: string): string => `
openapi: 3.0.1
info: { title: jwt-http, version: '1' }
components:
  securitySchemes:
    jwt:
      type: oauth2
      flows: {}
      x-amazon-apigateway-authorizer:
        type: jwt
        identitySource: '$request.header.Authorization'
        jwtConfiguration: { issuer: '${issuer}', audience: ['${audience}'] }
paths:
${paths}`;

/** A REST API document whose every route needs the TOKEN authorizer `auth` (TTL 300 s) unless it says `security: []`. */
export const restTokenApi = (paths: string): string => `
openapi: 3.0.1
info: { title: rest-token, version: '1' }
components:
  securitySchemes:
    auth:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authorizer: { type: token, authorizerUri: '${lambdaUri('auth')}', authorizerResultTtlInSeconds: 300 }
security:
  - auth: []
paths:
${paths}`;

/** An aws_proxy integration with the local function `name`, as one YAML flow mapping. */
export const proxyTo = (name: string): string =>
  `x-amazon-apigateway-integration: { type: aws_proxy, httpMethod: POST, uri: '${lambdaUri(name)}' }`;
