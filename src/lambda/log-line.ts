// Builtins through process.getBuiltinModule, not ESM imports, in the modules a cold start loads:
// Node 20's ESM wrapper of a builtin reads all its exports (node:fs's getters load its stream
// classes), about 0.5 ms of a cold start for node:fs, node:crypto and node:http together.
const { writeSync } = process.getBuiltinModule('node:fs');

/**
 * Milliseconds on a monotonic clock, for a decision line's durationMs. process.hrtime, not
 * performance.now(): the first use of `performance` loads perf_hooks, 0.5-0.8 ms of a cold start
 * (Lambda's runtime never loads it), and per call the two cost the same (about 50 ns).
 */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1000 + nanoseconds / 1e6;
}

// Lines handed to process.stdout and not yet written. While there are any, every new line goes
// the same way, behind them: a synchronous write would overtake them.
let queued = 0;
let waiters: (() => void)[] = [];

/** A log entry: `level` is `debug`, `info` (the default), `warn` or `error`. */
export type LogEntry = Record<string, unknown>;

/**
 * Where log entries go. `enabled` says whether a level is written at all, so callers can skip
 * building; `line`, when present, takes an entry already written as its JSON text (what
 * `JSON.stringify(entry)` gives, without the newline), so a hot path can build it from parts.
 */
export type LogSink = ((entry: LogEntry) => void) & {
  readonly enabled?: (level: string) => boolean;
  readonly line?: (level: string, json: string) => void;
};

/**
 * Lambda's application log levels, as the Node.js runtime ranks them for `console`
 * (aws-lambda-nodejs-runtime-interface-client, src/LogPatch.js): a line is written when its level
 * ranks at or above AWS_LAMBDA_LOG_LEVEL.
 */
const LEVELS: Readonly<Record<string, number>> = {
  TRACE: 1,
  DEBUG: 2,
  INFO: 3,
  WARN: 4,
  ERROR: 5,
  FATAL: 6,
};

/** Lambda's advanced logging controls, as the function's environment carries them. */
export interface LogSettings {
  /** The least level written (1 = TRACE: everything). */
  readonly minLevel: number;
  /** AWS_LAMBDA_LOG_FORMAT=JSON: every line a JSON object with `timestamp`, `level` and `requestId` first. */
  readonly json: boolean;
}

/**
 * AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT read as the Node.js runtime reads them for
 * `console`: the level case-insensitively, an unset or unknown level meaning every level (TRACE);
 * the format JSON when it says JSON in any case, TEXT otherwise. See docs/logging.md.
 */
export function lambdaLogSettings(env: Readonly<Record<string, string | undefined>>): LogSettings {
  return {
    minLevel: LEVELS[env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase() ?? ''] ?? LEVELS.TRACE!,
    json: env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON',
  };
}

const rank = (level: unknown): number =>
  (typeof level === 'string' ? LEVELS[level.toUpperCase()] : undefined) ?? LEVELS.INFO!;

/**
 * A sink that writes each entry as one line to stdout (see writeLine), after Lambda's level filter.
 * TEXT format: the entry as JSON, as Tollgate always wrote it. JSON format: the runtime's
 * `timestamp` (RFC 3339), upper-case `level` and `requestId` first, then the entry's own fields,
 * so Lambda takes the line's level and time from it as it does for `console` in JSON format.
 */
export function createLogSink(settings: LogSettings): LogSink {
  const enabled = (level: string): boolean => rank(level) >= settings.minLevel;
  const sink = (entry: LogEntry): void => {
    const level = rank(entry.level);
    if (level < settings.minLevel) return;
    if (!settings.json) return writeLine(JSON.stringify(entry) + '\n');
    const { level: _level, requestId, ...fields } = entry;
    const name = Object.keys(LEVELS).find((k) => LEVELS[k] === level);
    writeLine(
      JSON.stringify({ timestamp: new Date().toISOString(), level: name, requestId, ...fields }) +
        '\n',
    );
  };
  // In TEXT format a line is the entry's JSON as is; JSON format adds fields, so it has no `line`.
  const line = (level: string, json: string): void => {
    if (rank(level) >= settings.minLevel) writeLine(json + '\n');
  };
  return Object.assign(sink, settings.json ? { enabled } : { enabled, line });
}

// Printable ASCII without `"` and `\`: JSON writes such a string as is.
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(text)`, without its work for the common string that needs no escaping. */
export function jsonString(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}

/**
 * Writes one JSON log line to stdout, which Lambda captures, every level, TEXT format: the sink
 * for code that is not the deployed handler (index.ts builds one from Lambda's settings).
 */
export const writeLogLine: LogSink = createLogSink({ minLevel: LEVELS.TRACE!, json: false });

/**
 * Writes one whole line (ending in a newline) to stdout. fs.writeSync on fd 1 costs about a tenth
 * of process.stdout.write (no stream machinery) and a fifth of console.log. Lambda's stdout is a
 * non-blocking pipe: when it is full, writeSync throws EAGAIN or writes part of the line, and the
 * rest (and every line after it, until the stream has caught up) goes through the stream, which
 * waits for the pipe. So lines are never lost, cut or reordered.
 */
export function writeLine(line: string): void {
  if (queued > 0) return enqueue(line);
  let written: number;
  try {
    written = writeSync(1, line);
  } catch {
    return enqueue(line); // EAGAIN: the pipe is full
  }
  // `written` counts bytes: compare with the line's UTF-8 length (a short write leaves a tail).
  if (written < Buffer.byteLength(line)) {
    enqueue(Buffer.from(line).subarray(written));
  }
}

function enqueue(chunk: string | Buffer): void {
  queued++;
  process.stdout.write(chunk, () => {
    if (--queued > 0) return;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  });
}

/**
 * Resolves when every line written so far has reached stdout; undefined (nothing to wait for) in
 * the common case. The Lambda handler awaits it before answering, so a line still queued behind a
 * full pipe is written before the invocation ends and the sandbox may be frozen.
 */
export function logLinesWritten(): Promise<void> | undefined {
  if (queued === 0) return undefined;
  return new Promise((resolve) => waiters.push(resolve));
}
