import { TollgateError } from '../core/errors.js';

/** The development provider was given options it cannot run with; the message names the option. */
export class DevProviderError extends TollgateError<'IDP_OPTIONS_INVALID'> {
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super('IDP_OPTIONS_INVALID', `Invalid development provider option: ${option} ${problem}`);
    this.name = 'DevProviderError';
  }
}
