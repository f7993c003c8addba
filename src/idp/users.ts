import { DevProviderError } from './errors.js';

/** A person who can sign in at the development provider, and the API scopes they may be granted. */
export interface DevUser {
  /** The token's `sub`, and the name shown on the sign-in page. */
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  /** User pool groups, in `cognito:groups` when the provider stands for a Cognito pool. */
  readonly groups?: readonly string[];
}

/** The PetStore's users: alice may read and write pets; bob may only read them. */
export const DEFAULT_DEV_USERS: readonly DevUser[] = [
  {
    id: 'alice',
    name: 'Alice (developer)',
    scopes: ['read:pets', 'write:pets'],
    groups: ['admins'],
  },
  { id: 'bob', name: 'Bob (read-only)', scopes: ['read:pets'], groups: ['readers'] },
];

const READ_SCOPE = /(^|[:._/-])read($|[:._/-])/i;

/** The scopes that only read (read:pets, pets.read, ...): bob's and the machine client's by default. */
export function readScopes(apiScopes: readonly string[]): string[] {
  return apiScopes.filter((s) => READ_SCOPE.test(s));
}

/** alice and bob for any API: alice may have every API scope, bob only the reading ones. */
export function defaultDevUsers(apiScopes: readonly string[]): readonly DevUser[] {
  return [
    { ...DEFAULT_DEV_USERS[0]!, scopes: [...apiScopes] },
    { ...DEFAULT_DEV_USERS[1]!, scopes: readScopes(apiScopes) },
  ];
}

/** The requested scopes the user may have, in request order; the rest are refused. */
export function splitScopes(
  user: DevUser,
  requested: readonly string[],
): { granted: string[]; refused: string[] } {
  const allowed = new Set(user.scopes);
  const granted: string[] = [];
  const refused: string[] = [];
  for (const scope of new Set(requested)) (allowed.has(scope) ? granted : refused).push(scope);
  return { granted, refused };
}

const USER_ID = /^[A-Za-z0-9._@-]{1,64}$/;

/** Checks the configured users: distinct ids, and only scopes the API defines. */
export function checkUsers(
  users: readonly DevUser[],
  apiScopes: readonly string[],
): readonly DevUser[] {
  if (users.length === 0) throw new DevProviderError('users', 'must name at least one user');
  const known = new Set(apiScopes);
  const seen = new Set<string>();
  for (const [i, user] of users.entries()) {
    if (typeof user.id !== 'string' || !USER_ID.test(user.id))
      throw new DevProviderError(
        `users[${i}].id`,
        `must be 1 to 64 letters, digits or ._@-, got ${JSON.stringify(user.id)}`,
      );
    if (seen.has(user.id))
      throw new DevProviderError(`users[${i}].id`, `repeats ${JSON.stringify(user.id)}`);
    seen.add(user.id);
    for (const scope of user.scopes) {
      if (!known.has(scope))
        throw new DevProviderError(
          `users[${i}].scopes`,
          `contains ${JSON.stringify(scope)}, which is not one of the API's scopes (${apiScopes.join(' ')})`,
        );
    }
  }
  return users;
}
