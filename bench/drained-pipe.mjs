// A child's stdout as Lambda has it: a real pipe (a FIFO, not the socketpair child_process makes)
// that a reader in this process drains as fast as lines arrive. Writing a log line to a pipe whose
// reader wakes up for it costs several times what a write to /dev/null does, so a bench that sent
// the handlers' stdout to /dev/null would hide most of the cost of logging.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Opens a FIFO with a draining reader. `fd` is the write end to hand to the child's stdio; call
 * `childStarted()` once the child holds it, and `close()` (resolves to the bytes read) after it exits.
 */
export function drainedPipe() {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-bench-'));
  const path = join(dir, 'stdout');
  execFileSync('mkfifo', [path]);
  // The read end first, non-blocking, so opening the write end does not wait for a reader.
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const fd = openSync(path, constants.O_WRONLY);
  rmSync(dir, { recursive: true, force: true });
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  let bytes = 0;
  reader.on('data', (chunk) => (bytes += chunk.length));
  const ended = new Promise((resolve) => reader.on('close', resolve));
  return {
    fd,
    childStarted: () => closeSync(fd),
    /** Waits for the reader to see the end of the pipe (every writer gone), then reports bytes read. */
    close: async () => {
      await ended;
      return bytes;
    },
  };
}
