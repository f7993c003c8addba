// A template Tollgate cannot serve: one line naming the file, the resource and the property.
export class TemplateError extends Error {
  readonly code = 'TEMPLATE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}
