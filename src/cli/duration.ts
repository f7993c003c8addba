import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `30s`, `15m`, `1h`, `2d` as seconds. */
export function parseDuration(option: string, value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new UsageError(`${option} must be a duration like 30s, 15m, 1h or 2d, got ${JSON.stringify(value)}`);
  return Number(match[1]) * UNITS[match[2] || 's']!;
}
