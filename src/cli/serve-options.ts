// `tollgate serve`'s flags and help.

export const SERVE_HELP = `Usage: tollgate serve [--api FILE | --template FILE] [options]

A local API Gateway on 127.0.0.1 for an OpenAPI document with API Gateway's extensions, behaving
as API Gateway does: identity sources, the validation expression, the authorizer's result cache,
policy evaluation, the exact 401/403/500 answers, usage plans, REST and HTTP APIs (Lambda and JWT
authorizers) and WebSocket $connect. With no issuer configured it runs a development OpenID
provider at /idp and a sign-in page at /; set TOKEN_ISSUER, JWKS_URI and AUDIENCE (or issuers in
the config file) to use your own identity provider instead.

Options:
  --api FILE                 the OpenAPI 3.0 or Swagger 2.0 document (YAML or JSON)
  --function NAME=PATH[#EXPORT] | NAME=MODULE.EXPORT
                             the local module for a function the document names in its ARNs
                             (repeatable; MODULE.EXPORT as Lambda's handler setting, e.g. index.handler).
                             An authorizer function given no module is Tollgate's own. Its runtime
                             (nodejs20.x, nodejs22.x default, nodejs24.x) and memorySize (default
                             128 MB) are set in serve.functions. A FILE.py[#FUNCTION] (default
                             lambda_handler), or runtime: python3.x, runs Python through
                             TOLLGATE_PYTHON (default python3 on PATH).
  --template FILE            an AWS SAM or CloudFormation template (YAML or JSON), or a Serverless
                             Framework serverless.yml, instead of --api: its API, functions
                             (CodeUri, Handler, Runtime, Environment, MemorySize, Timeout), stage,
                             usage plans and authorizers, as deployed (--stage: a serverless.yml's stage)
  --parameter-overrides K=V  the template's parameters (repeatable, or "K1=V1 K2=V2")
  --param KEY=VALUE          a serverless.yml's \${param:KEY}, over its params (repeatable), as
                             serverless --param
  --env-vars FILE            functions' variables in SAM's JSON ({"Function": {"VAR": "value"}})
  --template-api ID          the API to serve when the template has several (its logical id)
  --port N                   default: PORT, else 3000 (0: any free port)
  --stage NAME               default local (REST) or $default (HTTP APIs); requests may also
                             start with it, as invoke URLs do (/prod/pets)
  --basepath MODE            ignore (API Gateway's default), prepend or split: how the document's
                             basePath applies to its paths, as API Gateway's import parameter
  --config FILE              tollgate.config.yaml: the authorizer's settings and a serve: section
                             (api, port, functions with their environment, usagePlans, websocket, page)
  --rules FILE, --env-file FILE
                             as for 'tollgate invoke'
  --cognito POOL_ID=dev|URL  a Cognito user pool's keys: dev (the development provider issues
                             the pool's tokens) or a JWKS URL; repeatable; default: Cognito itself
  --watch                    reload a function when its file changes
  --verbose                  log every authorizer event and result
  -h, --help                 this help

Example: tollgate serve --api examples/petstore.openapi.yaml --function pets=examples/pets/pets.mjs --rules examples/petstore.rules.yaml`;

export interface ServeOptions {
  api?: string | undefined;
  template?: string | undefined;
  'parameter-overrides'?: string[] | undefined;
  param?: string[] | undefined;
  'env-vars'?: string | undefined;
  'template-api'?: string | undefined;
  function?: string[] | undefined;
  port?: string | undefined;
  stage?: string | undefined;
  basepath?: string | undefined;
  config?: string | undefined;
  rules?: string | undefined;
  'env-file'?: string | undefined;
  watch?: boolean | undefined;
  verbose?: boolean | undefined;
  cognito?: string[] | undefined;
}
