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

/** A Ref (or Fn::Sub variable) naming a parameter with neither a Default nor an override. */
export class UnsetParameterIssue extends TemplateIssue {
  constructor(
    path: KeyPath,
    readonly parameter: string,
    message: string,
  ) {
    super(path, message);
  }
}
