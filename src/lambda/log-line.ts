import { writeSync } from 'node:fs';

/**
 * Writes one JSON log line to stdout, which Lambda captures. fs.writeSync on fd 1 costs about a
 * tenth of process.stdout.write (no stream machinery) and a fifth of console.log; if stdout is a
 * non-blocking pipe that is full, the line goes through the stream instead of being lost.
 */
export function writeLogLine(entry: Record<string, unknown>): void {
  const line = JSON.stringify(entry) + '\n';
  try {
    writeSync(1, line);
  } catch {
    process.stdout.write(line);
  }
}
