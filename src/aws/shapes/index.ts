// One adapter per authorizer event shape (REST TOKEN and REQUEST, HTTP API 1.0 and 2.0, WebSocket
// $connect), sharing a base. Re-exports only.
export type {
  AuthRequest,
  DecidedOutcome,
  ExecuteApiArn,
  FormatInfo,
  FormatOptions,
  Formatted,
  Outcome,
  ResultErrorCode,
  Shape,
  ShapeAdapter,
} from './base.js';
export { EventShapeError, parseExecuteApiArn, ResultError, SHAPES } from './base.js';
export type { AuthorizerResult, IamResult, SimpleResult } from './result.js';
export { MAX_RESOURCE_LENGTH, MAX_RESULT_BYTES } from './result.js';
export type { HttpApiV1AuthorizerEvent } from './http-v1.js';
export type { WebSocketConnectAuthorizerEvent } from './websocket.js';
export { outcomeOf, statement, type OutcomeOptions } from './outcome.js';
export { detectShape, extractRequest, formatResponse, readRequest } from './registry.js';
export { httpV1 } from './http-v1.js';
export { httpV2 } from './http-v2.js';
export { restRequest } from './rest-request.js';
export { restToken } from './rest-token.js';
export { websocket } from './websocket.js';
