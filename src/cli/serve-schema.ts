// The JSON Schema of the config file's serve: section, for editors. scripts/settings-docs.mjs puts
// it into schema/tollgate.config.schema.json beside the authorizer's settings (derived from the
// settings table); src/cli/serve-settings.ts is what checks the section, and the keys, choices,
// bounds and patterns here are its own constants, so each rule is written once.
import { BASE_PATH_MODES } from '../gateway/base-path.js';
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_RUNTIME,
  MAX_MEMORY_MB,
  MIN_MEMORY_MB,
  NODE_RUNTIMES,
} from '../gateway/lambda-runtime.js';
import { PYTHON_RUNTIMES } from '../gateway/python-runtime.js';
import { ASSUMPTION_CHOICES, SERVE_RULES } from './serve-settings.js';

/** serve.assumptions: each one's choices, as the checker's table gives them. */
const assumptionProperties = Object.fromEntries(
  Object.entries(ASSUMPTION_CHOICES).map(([name, choices]) => [
    name,
    choices.every((c) => typeof c === 'boolean') ? { type: 'boolean' } : { enum: [...choices] },
  ]),
);

export const SERVE_SCHEMA: Readonly<Record<string, unknown>> = {
  description:
    'Settings of `tollgate serve`, the local API Gateway (command-line flags win). The deployed authorizer ignores them.',
  type: 'object',
  additionalProperties: false,
  properties: {
    api: {
      type: 'string',
      minLength: 1,
      description: "The OpenAPI document with API Gateway's extensions, relative to this file.",
    },
    template: {
      type: 'string',
      minLength: 1,
      description:
        'An AWS SAM or CloudFormation template to serve instead of api (as --template), relative to this file.',
    },
    port: {
      type: 'integer',
      minimum: 0,
      maximum: 65535,
      default: 3000,
    },
    stage: {
      type: 'string',
      minLength: 1,
      description: 'Default `local` (REST) or `$default` (HTTP APIs).',
    },
    basePath: {
      enum: [...BASE_PATH_MODES],
      default: 'ignore',
      description:
        "How the document's basePath (Swagger) or server base path (OpenAPI 3.0) is applied, as API Gateway's import basepath parameter: ignore (API Gateway's default), prepend, or split (drop its first segment).",
    },
    functions: {
      type: 'object',
      description: "Local modules for the Lambda function names in the document's ARNs.",
      propertyNames: {
        pattern: SERVE_RULES.functionName,
      },
      additionalProperties: {
        oneOf: [
          {
            type: 'string',
            minLength: 1,
            description: "PATH[#EXPORT], or Lambda's MODULE.EXPORT form (index.handler)",
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['handler'],
            properties: {
              handler: {
                type: 'string',
                minLength: 1,
                description:
                  "PATH[#EXPORT] (default export handler), or Lambda's MODULE.EXPORT form (index.handler, src/auth.handler: MODULE.js, .mjs or .cjs beside this file).",
              },
              environment: {
                type: 'object',
                additionalProperties: {
                  type: 'string',
                },
              },
              runtime: {
                enum: [...NODE_RUNTIMES, ...PYTHON_RUNTIMES],
                default: DEFAULT_RUNTIME,
                description:
                  'The Lambda runtime whose contract the function gets: up to nodejs22.x context.succeed/fail/done and callback handlers; nodejs24.x refuses a handler declared (event, context, callback) at start; python3.x runs a Python handler through TOLLGATE_PYTHON.',
              },
              memorySize: {
                type: 'integer',
                minimum: MIN_MEMORY_MB,
                maximum: MAX_MEMORY_MB,
                default: DEFAULT_MEMORY_MB,
                description:
                  "MB, as Lambda's memorySize: the function's heap limit; past it the invocation fails with Runtime.OutOfMemory and a fresh sandbox starts.",
              },
            },
          },
        ],
      },
    },
    stageVariables: {
      type: 'object',
      additionalProperties: {
        type: 'string',
      },
    },
    devProvider: {
      type: 'boolean',
      description:
        'Run the embedded development OpenID provider at /idp when no issuer is configured (default true).',
    },
    page: {
      oneOf: [
        {
          type: 'boolean',
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['issuer', 'clientId'],
          properties: {
            issuer: {
              type: 'string',
              minLength: 1,
            },
            clientId: {
              type: 'string',
              minLength: 1,
            },
            audience: {
              type: 'string',
              minLength: 1,
            },
            scope: {
              type: 'string',
              minLength: 1,
            },
            extraAuthorizeParams: {
              type: 'object',
              additionalProperties: {
                type: 'string',
              },
            },
            connectOrigins: {
              type: 'array',
              description:
                'Origins the page must also reach (Cognito: https://DOMAIN.auth.REGION.amazoncognito.com), for its Content-Security-Policy.',
              items: {
                type: 'string',
                pattern: SERVE_RULES.connectOrigin,
              },
            },
          },
        },
      ],
    },
    usagePlans: {
      type: 'array',
      description: 'REST usage plans: throttle, quota, API keys (README: Usage plans).',
      items: {
        type: 'object',
      },
    },
    websocket: {
      type: 'object',
      additionalProperties: false,
      properties: {
        path: {
          type: 'string',
          pattern: '^/',
        },
        identitySource: {
          oneOf: [
            {
              type: 'string',
              pattern: SERVE_RULES.identitySource,
            },
            {
              type: 'array',
              items: {
                type: 'string',
                pattern: SERVE_RULES.identitySource,
              },
            },
          ],
        },
        authorizer: {
          type: 'string',
          minLength: 1,
        },
        routes: {
          type: 'object',
          additionalProperties: {
            type: 'string',
          },
        },
      },
    },
    assumptions: {
      type: 'object',
      additionalProperties: false,
      description: 'Behaviours the spec marks unconfirmed.',
      properties: assumptionProperties,
    },
    watch: {
      type: 'boolean',
    },
    verbose: {
      type: 'boolean',
    },
    cognito: {
      type: 'object',
      description:
        "Cognito user pool id: dev (the development provider issues the pool's tokens) or a JWKS URL (--cognito wins); unmapped pools are read from Cognito itself.",
      additionalProperties: {
        type: 'string',
      },
    },
  },
};
