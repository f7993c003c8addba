// The execute-api ARN a request arrives with, parsed: every shape's check, and the TOKEN path's.
import { parseMethodArn, type MethodArn } from './policy.js';

/** The parts of an execute-api ARN, with what follows the stage. */
export interface ExecuteApiArn extends MethodArn {
  /** The HTTP verb (`GET`); for a WebSocket ARN, the route key (`$connect`). */
  readonly verb: string;
  /** The request path after the verb, with a leading `/` (the root is `/`); undefined for WebSocket ARNs. */
  readonly path: string | undefined;
}

// An HTTP verb as it appears in an execute-api ARN: the request's method, upper case.
const VERB = /^[A-Z]+$/;

/**
 * Parses `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{path}` (REST,
 * HTTP API) or `…/{stage}/{routeKey}` (WebSocket). The path is everything after the verb, so
 * path-parameter values with `:` or `/` stay whole; the root (`…/GET/`) gives `/`.
 */
export function parseExecuteApiArn(
  arn: unknown,
  kind: 'http' | 'websocket',
): ExecuteApiArn | undefined {
  const p = parseMethodArn(arn);
  if (p === undefined || typeof arn !== 'string') return undefined;
  // The prefix rebuilt from the parsed fields has exactly the length of the ARN's prefix.
  const rest = arn.slice(
    `arn:${p.partition}:execute-api:${p.region}:${p.account}:${p.apiId}/${p.stage}`.length + 1,
  );
  let verb = rest;
  let path: string | undefined;
  if (kind === 'websocket') {
    if (rest === '' || rest.includes('/')) return undefined;
  } else {
    const slash = rest.indexOf('/');
    if (slash >= 0) verb = rest.slice(0, slash);
    if (!VERB.test(verb)) return undefined;
    path = slash < 0 ? '/' : `/${rest.slice(slash + 1)}`;
  }
  // Written out rather than spread: a spread of the parsed object costs over a microsecond here.
  return {
    partition: p.partition,
    region: p.region,
    account: p.account,
    apiId: p.apiId,
    stage: p.stage,
    verb,
    path,
  };
}
