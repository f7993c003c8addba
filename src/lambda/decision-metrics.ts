import type { Decision } from '../core/reasons.js';
import { writeLine } from './log-line.js';

/**
 * Counts of decisions per decision and reason, written as CloudWatch embedded metric format (EMF)
 * lines: with Allow lines off by default (LOG_DECISIONS=refusals), this is how every Allow stays
 * visible, at the cost of a counter per request instead of a write to the log pipe (several
 * microseconds on Lambda's stdout). See docs/logging.md.
 */
export interface DecisionMetrics {
  /** Counts one decision; the shape of HandlerOptions.onDecision. */
  readonly count: (decision: Decision) => void;
  /** Writes what was counted since the last flush (one EMF line per decision and reason), then starts again. */
  readonly flush: () => void;
  /** Flushes when the process exits, and on SIGTERM (sent by Lambda at shutdown), then lets it end. */
  readonly flushAtShutdown: () => void;
}

export interface DecisionMetricsOptions {
  /** CloudWatch namespace of the metric. */
  readonly namespace?: string;
  /** AWS_LAMBDA_FUNCTION_NAME: a dimension, so functions sharing a namespace stay apart. */
  readonly functionName?: string | undefined;
  /** Counts are written at most this often (ms), when something was counted. */
  readonly intervalMs?: number;
  /** Where the lines go (each ends in a newline); stdout by default, in order with the log lines. */
  readonly write?: (text: string) => void;
  readonly now?: () => number;
}

export const METRIC_NAME = 'Decisions';
const DEFAULT_INTERVAL_MS = 5000;

/** A counter per decision and reason, and a timer that writes them at most every intervalMs. */
export function createDecisionMetrics(options: DecisionMetricsOptions = {}): DecisionMetrics {
  const write = options.write ?? writeLine;
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const line = emfLine(options.namespace ?? 'Tollgate', options.functionName);
  // Allows (always reason OK) in a plain number: the common case costs an increment.
  let allows = 0;
  const refusals = new Map<string, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (allows === 0 && refusals.size === 0) return;
    const at = now();
    let text = allows > 0 ? line(at, 'allow', 'OK', allows) : '';
    for (const [key, n] of refusals) {
      const [decision, reason] = key.split(' ') as [string, string];
      text += line(at, decision, reason, n);
    }
    allows = 0;
    refusals.clear();
    write(text);
  };

  const count = (decision: Decision): void => {
    if (decision.kind === 'allow') allows++;
    else {
      const key = `${decision.kind} ${decision.reason.code}`;
      refusals.set(key, (refusals.get(key) ?? 0) + 1);
    }
    // The first count after a flush starts the clock; unref'd, it never keeps the process alive.
    timer ??= setTimeout(flush, intervalMs).unref();
  };

  const flushAtShutdown = (): void => {
    process.on('exit', flush);
    process.once('SIGTERM', () => {
      flush();
      // Default SIGTERM handling again: the process ends as it would have without this listener.
      process.kill(process.pid, 'SIGTERM');
    });
  };

  return { count, flush, flushAtShutdown };
}

/** One EMF line per (decision, reason): the metric under both dimension sets, so totals per decision need no math. */
function emfLine(
  namespace: string,
  functionName: string | undefined,
): (at: number, decision: string, reason: string, n: number) => string {
  const fn = functionName === undefined ? [] : ['FunctionName'];
  const head = JSON.stringify({
    Namespace: namespace,
    Dimensions: [
      [...fn, 'Decision', 'Reason'],
      [...fn, 'Decision'],
    ],
    Metrics: [{ Name: METRIC_NAME, Unit: 'Count' }],
  });
  const fnField =
    functionName === undefined ? '' : `,"FunctionName":${JSON.stringify(functionName)}`;
  return (at, decision, reason, n) =>
    `{"_aws":{"Timestamp":${at},"CloudWatchMetrics":[${head}]}${fnField},"Decision":${JSON.stringify(decision)},"Reason":${JSON.stringify(reason)},"${METRIC_NAME}":${n}}\n`;
}
