import type { DecisionKind } from './reasons.js';

/** Exit codes, one per outcome, documented in the README. */
export const EXIT = {
  allow: 0,
  internal: 1,
  usage: 2,
  deny: 3,
  unauthorized: 4,
  failure: 5,
} as const satisfies Record<DecisionKind | 'internal' | 'usage', number>;

/** Bad arguments or configuration: printed as one line, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
