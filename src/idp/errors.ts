/** The development provider was given options it cannot run with; the message names the option. */
export class DevProviderError extends Error {
  readonly code = 'IDP_OPTIONS_INVALID';
  constructor(
    readonly option: string,
    problem: string,
  ) {
    super(`Invalid development provider option: ${option} ${problem}`);
    this.name = 'DevProviderError';
  }
}
