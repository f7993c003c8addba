// The JSON Schema of the config file (schema/tollgate.config.schema.json), derived from the
// settings table: each setting's node carries the table's type, bounds, choices and default, at
// the table's file key; the notes here add what editors show (descriptions, examples) and the
// forms a key takes beyond its type (`audience`: one string or a list). `npm run docs:settings`
// writes the file; test/settings-table.test.ts fails when it drifts. Not in the Lambda bundle.
import { ALGORITHMS, HMAC_ALGORITHMS } from '../core/algorithms.js';
import {
  knownKeys,
  PATTERN_PROBLEMS,
  PATTERNS,
  PRESET_ISSUER_PATTERNS,
  RESERVED_CONTEXT_NAMES,
  SETTING_PATTERNS,
  type FileLevel,
} from './file-forms.js';
import { checkPresetIssuer, PRESETS } from './presets.js';
import { fileKey } from './file-forms.js';
import { PROBLEMS } from './problems.js';
import { SETTING_TABLE, type SettingName, type SettingSpec } from './table.js';

type Node = Record<string, unknown>;
type Table = Readonly<Record<string, SettingSpec>>;

/** What a setting's node adds to the table's facts: the file's own form, and prose for editors. */
interface SchemaNote {
  /** Replaces the node the type gives (the table's default is still added). */
  readonly form?: Node;
  /** Merged into the node. */
  readonly extra?: Node;
  readonly examples?: readonly unknown[];
  readonly description?: string;
}

/** `must use https ...` as an editor's hint: `Must use https ....` */
const hint = (problem: string): string => `${problem[0]!.toUpperCase()}${problem.slice(1)}.`;
const TEXT = { type: 'string', minLength: 1 };
const PATH_OR_RULES = { oneOf: [TEXT, { type: 'object' }] };

const NOTES: { readonly [K in SettingName]?: SchemaNote } = {
  TOKEN_ISSUER: {
    examples: [
      'https://YOUR_TENANT.auth0.com/',
      'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE',
    ],
    description:
      "The exact iss of the tokens, in the preset's form: Auth0 issuers end with /; Cognito, Okta and Entra v2 issuers do not. Without jwksUri or secret, keys come from {issuer}/.well-known/openid-configuration.",
  },
  AUDIENCE: {
    form: { oneOf: [TEXT, { type: 'array', minItems: 1, items: TEXT }] },
    description:
      'Accepted aud values (for Cognito, the app client ids); the token must carry at least one.',
  },
  RULES_FILE: {
    form: PATH_OR_RULES,
    description:
      'Route rules: the path of a rules file (YAML or JSON, relative to this file) or the rules written here. They apply to requests without a token and to tokens of issuers without rules of their own.',
  },
  TOKEN_SOURCE: {
    examples: ['header:Authorization', 'query:token', 'cookie:access_token'],
    description:
      'Where REQUEST, HTTP API and WebSocket events carry the token: header:NAME (Bearer scheme), query:NAME or cookie:NAME.',
  },
  V2_RESPONSE: {
    description:
      "Answer to HTTP API payload 2.0 events: the simple response { isAuthorized, context } or an IAM policy. Must match the API's authorizer setting.",
  },
  JWKS_URI: {
    description:
      'Where the signing keys are. Left out: OpenID discovery from the issuer. Never with secret.',
  },
  ALGORITHMS: {
    extra: { items: { type: 'string', enum: [...ALGORITHMS, ...HMAC_ALGORITHMS] } },
    description:
      'Allowed alg values. Default [RS256], or [HS256] with secret. HS256/384/512 only with secret; the others only without.',
  },
  TOKEN_SECRET: {
    form: {
      oneOf: [
        secretForm('env', {
          type: 'string',
          pattern: PATTERNS.envName,
          patternErrorMessage: hint(PATTERN_PROBLEMS.envName),
          description: 'Name of the environment variable holding the secret.',
        }),
        secretForm('file', {
          ...TEXT,
          description: 'Path of the file holding the secret, relative to this file.',
        }),
      ],
    },
    description:
      'Where the HMAC secret of an HS256/384/512 issuer is read: an environment variable or a file (relative to this file). Never the secret itself; never with jwksUri.',
  },
  PRESET: {
    description:
      "The identity provider, whose token quirks Tollgate handles (scope and group claims, Cognito's token_use and client_id).",
  },
  TOKEN_USE: { description: 'Preset cognito only: which token_use is accepted.' },
  SCOPE_CLAIMS: {
    description:
      "Claims scopes are read from, instead of the preset's (for example [scope, permissions]).",
  },
  GROUP_CLAIMS: {
    description:
      "Claims groups are read from, instead of the preset's (for example [cognito:groups]).",
  },
  CLOCK_TOLERANCE: { description: 'Seconds of leeway on exp, nbf and iat (CLOCK_TOLERANCE).' },
  REQUIRED_SCOPES: {
    description: "Scopes every request needs from this issuer's tokens.",
  },
  SCOPE_MATCH: { description: 'all: every required scope; any: at least one.' },
  CONTEXT_CLAIMS: {
    description:
      'Claims copied into the authorizer context; [] for none. principalId is always sub.',
  },
  USAGE_IDENTIFIER_CLAIM: {
    examples: ['client_id', 'azp'],
    description:
      'Claim returned as usageIdentifierKey, so API Gateway usage plans throttle and meter each client.',
  },
  POLICY_RESOURCE: {
    description:
      'What an Allow or Deny covers: stage = {apiId}/{stage}/*/*, api = {apiId}/* (POLICY_RESOURCE).',
  },
  TOKEN_MAX_LENGTH: { description: 'Longest token accepted, in characters (TOKEN_MAX_LENGTH).' },
  TOKEN_CACHE_SIZE: {
    description: 'Allowed tokens remembered per container; 0 disables (TOKEN_CACHE_SIZE).',
  },
  LOG_DECISIONS: {
    description:
      'refusals (the default): Allow decisions are not logged one by one but counted in CloudWatch embedded-metric-format lines (docs/logging.md); all: one JSON line per decision (LOG_DECISIONS).',
  },
  JWKS_TIMEOUT_MS: {
    description:
      'Bound on one key fetch, OpenID discovery included, in milliseconds (JWKS_TIMEOUT_MS).',
  },
  JWKS_MAX_AGE: { description: 'Seconds keys are used before a refetch (JWKS_MAX_AGE).' },
  JWKS_MIN_AGE: {
    description:
      'Shortest key cache lifetime in seconds, whatever Cache-Control says; not above maxAge (JWKS_MIN_AGE).',
  },
  JWKS_COOLDOWN: {
    description: 'At most one refetch for unknown kids per this many seconds (JWKS_COOLDOWN).',
  },
  JWKS_STALE_IF_ERROR: {
    description:
      'Seconds past maxAge that cached keys keep working while refetches fail (JWKS_STALE_IF_ERROR).',
  },
};

/** One form of `secret`: a mapping with just `key`. */
function secretForm(key: string, node: Node): Node {
  return {
    type: 'object',
    additionalProperties: false,
    required: [key],
    properties: { [key]: node },
  };
}

/** A text node: non-empty, or matching the setting's pattern. */
function textNode(name: string): Node {
  const pattern = SETTING_PATTERNS[name as SettingName];
  return pattern
    ? {
        type: 'string',
        pattern: PATTERNS[pattern],
        patternErrorMessage: hint(PATTERN_PROBLEMS[pattern]),
      }
    : TEXT;
}

/** The node the table's type gives: type, bounds or choices (the default is added by the caller). */
function typeNode(name: string, spec: SettingSpec): Node {
  switch (spec.type) {
    case 'integer':
      return { type: 'integer', minimum: spec.min, maximum: spec.max };
    case 'choice':
      return { type: 'string', enum: spec.values };
    case 'list':
      return { type: 'array', ...(spec.min > 0 && { minItems: spec.min }), items: textNode(name) };
    case 'text':
      return textNode(name);
  }
}

function settingNode(name: string, spec: SettingSpec): Node {
  const note: SchemaNote = NOTES[name as SettingName] ?? {};
  return {
    ...(note.form ?? typeNode(name, spec)),
    ...note.extra,
    ...(spec.default !== undefined && { default: spec.default }),
    ...(note.examples && { examples: note.examples }),
    ...(note.description && { description: note.description }),
  };
}

/** The nodes of the settings at `level`, by file key (a nested level's own node is added by the caller). */
function settingNodes(table: Table, level: FileLevel): Record<string, Node> {
  const out: Record<string, Node> = {};
  for (const [name, spec] of Object.entries(table)) {
    const key = spec.file?.startsWith(level) ? spec.file.slice(level.length) : undefined;
    if (key === undefined || key.includes('.') || key in out) continue;
    if (level === '' && key.startsWith('issuers[]')) continue;
    out[key] = settingNode(name, spec);
  }
  return out;
}

/** The top level's properties, in the order of knownKeys (the validator's). */
function topProperties(table: Table, serve: Node): Record<string, Node> {
  const nodes: Record<string, Node> = {
    ...settingNodes(table, ''),
    $schema: {
      type: 'string',
      description: 'The JSON Schema of this file, for editors (ignored by Tollgate).',
    },
    issuers: {
      type: 'array',
      minItems: 1,
      description:
        "The issuers whose tokens are accepted; the token's iss chooses one before any key is fetched. Required unless TOKEN_ISSUER is set in the environment.",
      items: { $ref: '#/definitions/issuer' },
    },
    context: {
      type: 'object',
      additionalProperties: false,
      required: ['claims'],
      description: 'What the backend receives in the authorizer context (CONTEXT_CLAIMS).',
      properties: {
        ...settingNodes(table, 'context.'),
        rename: {
          type: 'object',
          description: 'claim: newName, for claims listed in claims.',
          additionalProperties: { $ref: '#/definitions/contextName' },
        },
      },
    },
    jwks: {
      type: 'object',
      additionalProperties: false,
      description: 'Key fetching and caching, for every issuer with keys from a JWKS.',
      properties: settingNodes(table, 'jwks.'),
    },
    serve,
  };
  return Object.fromEntries(knownKeys('', table).map((key) => [key, nodes[key]!]));
}

/** A node that applies `then` to an issuer when `when` holds. */
const when = (condition: Node, then: Node): Node => ({ if: condition, then });
const issuerPattern = (pattern: string, problem: string): Node => ({
  properties: { issuer: { type: 'string', pattern, patternErrorMessage: problem } },
});
const onlyAlgorithms = (values: readonly string[], problem: string): Node => ({
  properties: { algorithms: { type: 'array', items: { enum: values, errorMessage: problem } } },
});

/** What an issuer's keys decide together: secret or JWKS, discovery, each preset's issuer form. */
function issuerConditions(): Node[] {
  const presets = PRESETS.filter((p) => PRESET_ISSUER_PATTERNS[p] !== undefined).map((preset) =>
    when(
      { required: ['preset'], properties: { preset: { type: 'string', const: preset } } },
      issuerPattern(PRESET_ISSUER_PATTERNS[preset]!, hint(checkPresetIssuer(preset, '')!)),
    ),
  );
  return [
    {
      ...when(
        { required: ['secret'] },
        {
          properties: {
            jwksUri: {
              not: {},
              errorMessage: `jwksUri ${PROBLEMS.keysAndSecret(fileKey, 'TOKEN_SECRET')}.`,
            },
            ...(onlyAlgorithms(
              HMAC_ALGORITHMS,
              'An issuer with a secret verifies only HS256, HS384 or HS512.',
            ).properties as Node),
          },
        },
      ),
      else: onlyAlgorithms(
        ALGORITHMS,
        'HS256, HS384 and HS512 need a secret: HMAC cannot be used with keys from a JWKS.',
      ),
    },
    when(
      { not: { anyOf: [{ required: ['jwksUri'] }, { required: ['secret'] }] } },
      issuerPattern(
        PATTERNS.keyUrl,
        `Without jwksUri, keys come from OpenID discovery at the issuer: it ${PATTERN_PROBLEMS.keyUrl}.`,
      ),
    ),
    ...presets,
    when(
      { required: ['tokenUse'] },
      {
        required: ['preset'],
        properties: {
          preset: {
            type: 'string',
            const: 'cognito',
            errorMessage: 'tokenUse applies only to preset cognito.',
          },
        },
      },
    ),
  ];
}

function issuerDefinition(table: Table): Node {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['issuer', 'audience'],
    defaultSnippets: [{ label: 'issuer', body: { issuer: '$1', audience: ['$2'] } }],
    properties: {
      ...settingNodes(table, 'issuers[].'),
      rules: {
        ...PATH_OR_RULES,
        description:
          "This issuer's own route rules, in the same forms as the top-level rules (a file relative to this file, or the rules written here). For this issuer's tokens they replace the top-level rules; left out, the top-level rules apply.",
      },
    },
    allOf: issuerConditions(),
  };
}

/**
 * The config file's JSON Schema (draft-07, what VS Code's YAML and JSON language services
 * support fully), from the settings table; `serve` is the serve: section's schema (the CLI's).
 */
export function configSchema(serve: Node, table: Table = SETTING_TABLE): Node {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Tollgate configuration',
    description:
      'tollgate.config.yaml or tollgate.config.json: the issuers Tollgate trusts and how it answers API Gateway. Settings left out come from the environment variables of the same meaning, then from their defaults.',
    type: 'object',
    additionalProperties: false,
    properties: topProperties(table, serve),
    definitions: {
      contextName: {
        ...TEXT,
        not: { enum: RESERVED_CONTEXT_NAMES },
        errorMessage: `${RESERVED_CONTEXT_NAMES.join(' and ')} are names API Gateway reserves.`,
      },
      issuer: issuerDefinition(table),
    },
  };
}

/** The schema file's text: two-space JSON, a final newline. */
export function configSchemaText(serve: Node, table: Table = SETTING_TABLE): string {
  return `${JSON.stringify(configSchema(serve, table), null, 2)}\n`;
}
