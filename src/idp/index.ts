// The embedded development OpenID provider: re-exports only.
export {
  createDevProvider,
  type DevClientOptions,
  type DevProvider,
  type DevProviderOptions,
} from './dev-provider.js';
export { DevProviderError } from './errors.js';
export { DEFAULT_DEV_USERS, defaultDevUsers, type DevUser } from './users.js';
