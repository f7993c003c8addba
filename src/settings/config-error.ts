import { TollgateError } from '../core/errors.js';

/** A setting is missing or invalid. The handler refuses to start rather than run without it. */
export class ConfigError extends TollgateError<'CONFIG_INVALID'> {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super('CONFIG_INVALID', `Invalid configuration: ${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}
