// What every event shape shares: the shape names, the request a shape hands to the decision, the
// outcome it formats back, and the execute-api ARN parsing. The per-shape modules translate; they
// never decide.
import type { Statement } from 'aws-lambda';
import { TollgateError } from '../../core/errors.js';
import type { ExecuteApiArn } from '../execute-api-arn.js';
import type { TokenSource } from '../token-read.js';

// The TOKEN path needs only the ARN parser: it lives in a module of its own, so a cold start does
// not load the shapes' shared types and errors with it.
export { parseExecuteApiArn, type ExecuteApiArn } from '../execute-api-arn.js';

/** The authorizer event shapes Tollgate answers (spec sections 1, 2, 6 and 8). */
export type Shape = 'rest-token' | 'rest-request' | 'http-v1' | 'http-v2' | 'websocket';

export const SHAPES: readonly Shape[] = [
  'rest-token',
  'rest-request',
  'http-v1',
  'http-v2',
  'websocket',
];

/** What a shape extracts from its event for the decision. Never holds anything but the token itself as secret. */
export interface AuthRequest {
  readonly shape: Shape;
  /** The presented token; undefined when none was presented (TOKEN_MISSING). */
  readonly token: string | undefined;
  /** A value was presented that is not a usable token: another scheme (`Basic`), or several values (TOKEN_MALFORMED). */
  readonly malformedAuth?: boolean;
  /** The request's HTTP method, upper case; undefined for WebSocket `$connect`. */
  readonly method: string | undefined;
  /**
   * The concrete request path that route rules match, relative to the API: no stage, no custom
   * domain base path, path-parameter values filled in, `/` for the root; `$connect` for WebSocket.
   * Undefined when the event does not say (never guessed).
   */
  readonly path: string | undefined;
  /** The ARN API Gateway checks the returned policy against: `methodArn`, or `routeArn` for HTTP API 2.0. */
  readonly arn: string;
  /** The same ARN, parsed: the prefix for policy resources. */
  readonly arnParts: ExecuteApiArn;
  /** Where the token was looked for, for logs (`header:authorization`, `authorizationToken`); never the value. */
  readonly identityKey: string;
  /** The route as API Gateway configured it, for logs: REST `resource`, HTTP API `routeKey`, WebSocket `$connect`. */
  readonly routeTemplate?: string | undefined;
}

/** The decision to format, independent of how it was made. */
export type Outcome =
  | {
      readonly kind: 'allow' | 'deny';
      readonly principalId: string;
      readonly context: Readonly<Record<string, unknown>>;
      readonly statements: readonly Statement[];
      /** Set when no exact route policy exists and the statements cover this request only: why. */
      readonly note?: string | undefined;
    }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'failure'; readonly code: string };

export type DecidedOutcome = Extract<Outcome, { kind: 'allow' | 'deny' }>;

export interface FormatOptions {
  /**
   * HTTP API 2.0 only: the event does not say whether the authorizer has simple responses
   * enabled (`enableSimpleResponses`), so configuration must. `simple` gives `{ isAuthorized, context }`,
   * `iam` a policy matched against the routeArn.
   */
  readonly v2Response: 'simple' | 'iam';
  /** An API key for usage plans (`apiKeySource: AUTHORIZER`): REST APIs only (spec section 9). */
  readonly usageIdentifierKey?: string | undefined;
  /** The result's size limit in bytes; 8 KB unless given (spec section 3). */
  readonly maxResultBytes?: number | undefined;
}

/** Why a result could not be formatted. The caller falls back (a smaller policy) or fails (500); never an Allow. */
export type ResultErrorCode =
  'RESULT_TOO_LARGE' | 'RESOURCE_TOO_LONG' | 'NO_STATEMENTS' | 'DENY_WITH_ALLOW';

export class ResultError extends TollgateError<ResultErrorCode> {
  constructor(
    code: ResultErrorCode,
    message: string,
    readonly detail: Readonly<Record<string, string | number>> = {},
  ) {
    super(code, message);
    this.name = 'ResultError';
  }
}

/** An event handed to a shape's extractor is not of that shape: a bug in the caller (EVENT_INVALID, 500). */
export class EventShapeError extends TollgateError<'EVENT_SHAPE_MISMATCH'> {
  constructor(readonly shape: Shape) {
    super('EVENT_SHAPE_MISMATCH', `The event is not a ${shape} authorizer event`);
    this.name = 'EventShapeError';
  }
}

/** What formatting changed, for the caller's log line. */
export interface FormatInfo {
  /** Context keys removed, largest first, to keep the result under the size limit. */
  readonly droppedForSize: readonly string[];
  /** Context keys removed because the shape reserves the name or cannot carry the value (null, non-finite, cyclic). */
  readonly droppedInvalid: readonly string[];
  /**
   * The UTF-8 size of the result's JSON: exact when its text is printable ASCII or it had to be
   * measured, otherwise an upper bound already under the limit. Never over `maxResultBytes`.
   */
  readonly bytes: number;
}

export type Formatted<R = unknown> =
  | { readonly ok: true; readonly result: R; readonly info: FormatInfo }
  | { readonly ok: false; readonly error: ResultError };

/** One translator per event shape (hono's EventV1Processor / EventV2Processor idea). */
export interface ShapeAdapter<E, R = unknown> {
  readonly shape: Shape;
  /**
   * The event's parsed ARN when it is a well-formed event of this shape, else undefined. Each
   * shape's test excludes every other shape's, so at most one adapter accepts an event.
   */
  check(event: unknown): ExecuteApiArn | undefined;
  /** The request, from an event `check` accepted and the ARN it parsed. */
  extract(event: E, arnParts: ExecuteApiArn, source: TokenSource): AuthRequest;
  /** Formats an Allow or Deny; Unauthorized and failures are thrown by the caller (see formatResponse). */
  format(outcome: DecidedOutcome, options: FormatOptions): Formatted<R>;
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A map field that API Gateway sends as an object, or null from the console's test invoke; absent is allowed. */
export function isOptionalMap(value: unknown): boolean {
  return value === undefined || value === null || isRecord(value);
}
