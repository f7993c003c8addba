// What each error code means and what it leads to on each surface: the README's errors table is
// rendered from this one (test/errors.test.ts fails when they drift), the CLI's boundary reads its
// exit codes, and the gateway's boundary is checked against its HTTP statuses. Not imported by
// the Lambda handler: its meanings stay out of the cold start.
import { EXIT, type ExitKind, type TollgateErrorCode } from './errors.js';

export interface ErrorCodeSpec {
  /** One line for the README. */
  readonly meaning: string;
  /** The status of the request during which the error happens; undefined when it is raised at start. */
  readonly http: number | undefined;
  /** The CLI's exit when a command fails with it (`internal`, 1, for one no command should meet). */
  readonly exit: ExitKind;
}

const startup = (meaning: string): ErrorCodeSpec => ({ meaning, http: undefined, exit: 'usage' });
const failure = (meaning: string): ErrorCodeSpec => ({ meaning, http: 500, exit: 'failure' });
const request = (http: number, meaning: string): ErrorCodeSpec => ({
  meaning,
  http,
  exit: 'internal',
});

export const ERROR_CODES: Readonly<Record<TollgateErrorCode, ErrorCodeSpec>> = {
  USAGE: startup('Bad command-line arguments, or a file a command cannot read or use'),
  PATTERN_REFUSED: startup(
    "A route rule's claim pattern that cannot run within its bound (backreference, lookaround, too many states); an error of the rules file",
  ),
  JWKS_UNAVAILABLE: failure(
    "The issuer's keys cannot be fetched (down, timeout, HTTP error) and none are cached",
  ),
  JWKS_INVALID: failure("The issuer's JWKS response is not a usable key set and none are cached"),
  DISCOVERY_FAILED: failure('The OpenID discovery document is unusable or names another issuer'),
  EVENT_INVALID: failure(
    'The Lambda event is not an API Gateway authorizer event of a known shape',
  ),
  RESULT_INVALID: failure(
    "The answer could not be made to fit API Gateway's limits, even for this request alone",
  ),
  INTERNAL_ERROR: failure('A bug while deciding: reported, never an Allow'),
  EVENT_SHAPE_MISMATCH: failure(
    "An event handed to a shape's reader is not of that shape (a caller's bug): EVENT_INVALID",
  ),
  RESULT_TOO_LARGE: failure(
    "The answer is over API Gateway's 8 KB without its context: the handler answers this request alone, or RESULT_INVALID",
  ),
  RESOURCE_TOO_LONG: failure(
    'A policy Resource over 512 characters: this request alone, or RESULT_INVALID',
  ),
  NO_STATEMENTS: failure('An IAM answer without statements (a bug): RESULT_INVALID'),
  DENY_WITH_ALLOW: failure('A Deny answer carrying an Allow statement (a bug): RESULT_INVALID'),
  TOKEN_SOURCE_INVALID: startup(
    'A token source (`header:NAME`, `query:NAME`, `cookie:NAME`) that cannot be used: CONFIG_INVALID for `TOKEN_SOURCE`',
  ),
  HTTP_TIMEOUT: failure('A key or discovery fetch got no answer in time: JWKS_UNAVAILABLE'),
  HTTP_RESPONSE_TOO_LARGE: failure(
    'A fetched key set is over its byte limit: JWKS_INVALID (discovery: DISCOVERY_FAILED)',
  ),
  HTTP_REDIRECT_REFUSED: failure('A key or discovery fetch answered with a redirect (refused)'),
  HTTP_NETWORK: failure('A key or discovery fetch failed at the network: JWKS_UNAVAILABLE'),
  CONFIG_INVALID: {
    meaning:
      'A setting is missing or invalid, named: the handler refuses to start (API Gateway answers 500), the CLI exits 2',
    http: 500,
    exit: 'usage',
  },
  IDP_OPTIONS_INVALID: startup("The development provider's options cannot be used, named"),
  FORM_TOO_LARGE: request(
    400,
    "A sign-in form over the development provider's limit; the connection is closed",
  ),
  API_DOCUMENT_INVALID: startup(
    'The OpenAPI document cannot be used: file, line, column and key named',
  ),
  USAGE_PLANS_INVALID: startup('The usage plans of the config file cannot be used, each key named'),
  WEBSOCKET_CONFIG_INVALID: startup('A WebSocket API setting cannot be used, named'),
  JSONPATH_UNSUPPORTED: startup(
    'A JSONPath in a response mapping the local gateway does not support: an error of the document',
  ),
  RUNTIME_INIT_FAILED: startup(
    "A Lambda function cannot start as Node's Lambda runtime would (missing module or export, a refused handler)",
  ),
  FUNCTION_ERROR: request(
    502,
    "A Lambda function run by `serve` threw, crashed or could not load: 502 from a proxy integration (an authorizer's exact `Unauthorized` is 401, its other errors 500)",
  ),
  BODY_TOO_LARGE: request(413, 'A request body over 10 MB, declared or counted while read'),
  BODY_BUDGET_EXCEEDED: request(503, 'All request bodies in flight together would pass 24 MiB'),
  BODY_IDLE_TIMEOUT: request(408, 'A request body sent nothing for 10 s; the connection is closed'),
  BODY_ABORTED: request(400, 'The client closed the connection while sending the body'),
  BODY_NOT_JSON: request(
    400,
    'A mapping template reads the body as JSON (`$input.json`, `$input.path`) and it is not JSON',
  ),
  FUNCTION_NOT_IN_DOCUMENT: startup(
    '`export --function NAME=ID` names a function the document does not invoke',
  ),
  LOGICAL_ID_INVALID: startup('A function would export under a logical ID CloudFormation refuses'),
  LOGICAL_ID_CONFLICT: startup('Two functions would export under the same logical ID'),
  URI_NOT_TEMPLATABLE: startup(
    '`export` cannot turn an integration URI into a function of the stack',
  ),
  EXPORT_INVALID: startup('The exported document would not import into API Gateway'),
  TEMPLATE_INVALID: startup(
    'A SAM template `serve --template` cannot serve: file, resource and property named',
  ),
  PAGE_CONFIG_INVALID: startup("A setting of the sign-in page's configuration cannot be used"),
  SERVE_CONFIG_INVALID: startup('A `serve` setting of the config file cannot be used, key named'),
};

/** The README's errors table, from ERROR_CODES. */
export function errorsTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, spec]) =>
      `| \`${code}\` | ${spec.meaning} | ${spec.http ?? '—'} | ${EXIT[spec.exit]} |`,
  );
  return ['| Code | Meaning | HTTP status | CLI exit |', '|---|---|---|---|', ...rows].join('\n');
}
