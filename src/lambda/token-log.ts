import type { Decision } from '../core/reasons.js';
import type { Authorizer } from './authorizer.js';
import { jsonString, monotonicMs } from './log-line.js';
import type { MethodTarget } from './token-result.js';

/** The TOKEN path's decision lines, field for field the general handler's. */
export interface DecisionLogger {
  /** Some decision may be logged: read the clock when a request starts, for durationMs. */
  readonly timed: boolean;
  /** Allow lines are written (LOG_DECISIONS=all and INFO enabled). */
  readonly allows: boolean;
  /** Unauthorized lines are written (INFO enabled). */
  readonly refusals: boolean;
  line(
    decision: Decision,
    target: MethodTarget,
    started: number,
    requestId: string | undefined,
  ): void;
}

export function decisionLogger(authorizer: Authorizer): DecisionLogger {
  const { log, config } = authorizer;
  // Lambda's log level (AWS_LAMBDA_LOG_LEVEL) may leave decision lines out: then none is built.
  const refusals = log.enabled?.('info') ?? true;
  const allows = refusals && config.shared.logDecisions === 'all';
  const write = log.line;
  const line: DecisionLogger['line'] =
    write === undefined
      ? (decision, target, started, requestId) =>
          log({
            level: 'info',
            decision: decision.kind,
            reason: decision.kind === 'allow' ? 'OK' : decision.reason.code,
            message: undefined,
            principal: decision.principal,
            kid: decision.kid,
            issuer: decision.issuer,
            shape: 'rest-token',
            route: target.route,
            methodArn: target.arn.slice(0, 1600),
            note: undefined,
            requestId,
            durationMs: monotonicMs() - started,
          })
      : // The text JSON.stringify would write for the entry above, from parts escaped once per ARN.
        (decision, target, started, requestId) =>
          write(
            'info',
            `{"level":"info","decision":"${decision.kind}","reason":"${decision.kind === 'allow' ? 'OK' : decision.reason.code}"${field('principal', decision.principal)}${field('kid', decision.kid)}${field('issuer', decision.issuer)}${target.logFields}${field('requestId', requestId)},"durationMs":${monotonicMs() - started}}`,
          );
  return { timed: refusals, allows, refusals, line };
}

/** `,"name":value` as JSON.stringify writes a string field; nothing for undefined. */
function field(name: string, value: string | undefined): string {
  return value === undefined ? '' : `,"${name}":${jsonString(value)}`;
}
