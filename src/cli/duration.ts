import { UsageError } from '../core/errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `30s`, `15m`, `1h`, `2d` as seconds; a leading `-` makes it negative (a time in the past). */
export function parseDuration(option: string, value: string): number {
  const match = /^(-?)(\d+)([smhd]?)$/.exec(value.trim());
  if (!match)
    throw new UsageError(
      `${option} must be a duration like 30s, 15m, 1h, 2d or -1h, got ${JSON.stringify(value)}`,
    );
  return (match[1] ? -1 : 1) * Number(match[2]) * UNITS[match[3] || 's']!;
}

/**
 * parseArgs reads `--expires-in -1h` as an option missing its value: joins a negative duration
 * given as the next argument to its option (`--expires-in=-1h`), which parseArgs accepts.
 */
export function joinNegativeDurations(
  args: readonly string[],
  options: readonly string[],
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const next = args[i + 1];
    if (options.includes(args[i]!) && next !== undefined && /^-\d/.test(next)) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else out.push(args[i]!);
  }
  return out;
}
