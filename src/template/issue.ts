import { TollgateError } from '../core/errors.js';
import type { KeyPath } from '../core/key-path.js';

/** A problem at a key path of the template; the reader adds FILE:LINE:COL. */
export class TemplateIssue extends TollgateError<'TEMPLATE_INVALID'> {
  constructor(
    readonly path: KeyPath,
    message: string,
  ) {
    super('TEMPLATE_INVALID', message);
  }
}
