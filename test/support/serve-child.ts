// `tollgate serve` as a child process on a free port of 127.0.0.1, as `npm start` runs it
// (examples/serve.config.yaml unless told otherwise), with its output kept and its memory readable.
import { spawn, spawnSync, SERVER_CHILD_MS, type ChildProcess } from './child.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './paths.js';

export interface ServeChild {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Everything the child wrote so far. */
  output(): { stdout: string; stderr: string };
  /** Resident memory now, and its peak since the start (VmRSS and VmHWM of /proc), in MB. */
  memory(): { rssMb: number; peakMb: number };
  /** `tollgate token` for this server's development issuer. */
  token(scope: string): string;
  stop(): Promise<void>;
}

/**
 * `options.cwd`: run there with only `args` (no example config); `options.env`: more variables.
 */
export async function startServeChild(
  args: readonly string[] = [],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<ServeChild> {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-serve-child-'));
  const env = {
    PATH: process.env.PATH ?? '',
    TOLLGATE_HOME: join(home, '.tollgate'),
    ...options.env,
  };
  const config = options.cwd ? [] : ['--config', repoPath('examples', 'serve.config.yaml')];
  const child = spawn(
    process.execPath,
    [repoPath('bin', 'tollgate.js'), 'serve', ...config, '--port', '0', ...args],
    { cwd: options.cwd ?? home, env, timeout: SERVER_CHILD_MS },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
    child.stderr!.on('data', () => {
      const m = /serving .* at (http:\/\/localhost:\d+)/.exec(stderr);
      if (m && stderr.includes('Ctrl-C')) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
  const port = Number(new URL(url).port);
  const status = (field: string): number =>
    Number(
      new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
        readFileSync(`/proc/${child.pid}/status`, 'utf8'),
      )?.[1] ?? 0,
    ) / 1024;
  return {
    url: url.replace('localhost', '127.0.0.1'),
    port,
    child,
    output: () => ({ stdout, stderr }),
    memory: () => ({ rssMb: status('VmRSS'), peakMb: status('VmHWM') }),
    token: (scope) =>
      spawnSync(process.execPath, [repoPath('bin', 'tollgate.js'), 'token', '--scope', scope], {
        cwd: home,
        encoding: 'utf8',
        env: { ...env, PORT: String(port) },
      }).stdout.trim(),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
