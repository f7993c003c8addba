import type { KeyPath } from '../core/key-path.js';

/** A problem at a key path of the template; the reader adds FILE:LINE:COL. */
export class TemplateIssue extends Error {
  constructor(
    readonly path: KeyPath,
    message: string,
  ) {
    super(message);
  }
}
