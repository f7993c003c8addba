// spawn and spawnSync for the tests, with a time limit: a child that hangs (seen twice under heavy
// load: a `tollgate token` child waiting forever) is killed and fails its test with a message
// naming the command, instead of stalling the whole suite. Same signatures as node:child_process;
// an explicit `timeout` option overrides the limit (long-lived servers pass SERVER_CHILD_MS).
import * as childProcess from 'node:child_process';
import type { ChildProcess, SpawnOptions, SpawnSyncOptions } from 'node:child_process';

/** Generous for a one-shot CLI run on a loaded 2-core machine (they take well under 5 s alone). */
export const CHILD_TIMEOUT_MS = 60_000;
/** For a server a test file keeps running across its tests. */
export const SERVER_CHILD_MS = 600_000;

const JWT = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

/** The command as a one-line string, with anything shaped like a token replaced. */
export function describeCommand(command: string, args: readonly string[]): string {
  return [command, ...args]
    .map((a) => a.replace(JWT, '<token>').replace(/\b(Bearer|Basic)\s+\S+/gi, '$1 <redacted>'))
    .map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a))
    .join(' ');
}

export function timeoutMessage(command: string, args: readonly string[], ms: number): string {
  return `child process did not finish within ${ms / 1000} s and was killed: ${describeCommand(command, args)}`;
}

function split<O>(args: unknown, options: unknown): [string[], O] {
  return Array.isArray(args) ? [args as string[], (options ?? {}) as O] : [[], (args ?? {}) as O];
}

function guard(child: ChildProcess, command: string, args: readonly string[], ms: number): void {
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
    // An 'error' with no listener throws: the running test fails with this message either way.
    child.emit('error', new Error(timeoutMessage(command, args, ms)));
  }, ms);
  timer.unref();
  child.once('exit', () => clearTimeout(timer));
}

export const spawn = ((command: string, a?: unknown, o?: unknown): ChildProcess => {
  const [args, options] = split<SpawnOptions>(a, o);
  const { timeout = CHILD_TIMEOUT_MS, ...rest } = options;
  const child = childProcess.spawn(command, args, rest);
  if (timeout > 0) guard(child, command, args, timeout);
  return child;
}) as typeof childProcess.spawn;

export const spawnSync = ((command: string, a?: unknown, o?: unknown) => {
  const [args, options] = split<SpawnSyncOptions>(a, o);
  const timeout = options.timeout ?? CHILD_TIMEOUT_MS;
  const result = childProcess.spawnSync(command, args, {
    killSignal: 'SIGKILL',
    ...options,
    timeout,
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT')
    throw new Error(timeoutMessage(command, args, timeout));
  return result;
}) as typeof childProcess.spawnSync;

export type { ChildProcess };
