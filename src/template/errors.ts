// A template Tollgate cannot serve: one line naming the file, the resource and the property.
import { TollgateError } from '../core/errors.js';

export class TemplateError extends TollgateError<'TEMPLATE_INVALID'> {
  constructor(message: string) {
    super('TEMPLATE_INVALID', message);
    this.name = 'TemplateError';
  }
}
