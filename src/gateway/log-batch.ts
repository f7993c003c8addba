// The local gateway's log lines, written together once per turn of the event loop instead of one
// write each: under load, one write for all the requests a turn answered. Lines keep their order
// (one queue, written through writeLine, which never drops or reorders), and the queue is written
// before the process exits.
import { writeLine } from '../lambda/log-line.js';

let pending: string[] = [];
let scheduled = false;
let hooked = false;

// A turn that answers more than this many requests writes as it goes, so the queue stays small.
const MAX_PENDING = 64;

function flush(): void {
  scheduled = false;
  if (pending.length === 0) return;
  const text = pending.join('');
  pending = [];
  writeLine(text);
}

/** One JSON log line per entry on stdout, as writeLogLine writes it, at the end of this turn. */
export function batchedLogLine(entry: Record<string, unknown>): void {
  pending.push(JSON.stringify(entry) + '\n');
  if (pending.length >= MAX_PENDING) return flush();
  if (scheduled) return;
  scheduled = true;
  setImmediate(flush);
  if (hooked) return;
  hooked = true;
  process.once('exit', flush);
}
