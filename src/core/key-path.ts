/** A place in a parsed document: keys and list indexes, from the root. */
export type KeyPath = readonly (string | number)[];

/** `routes[3].scopes`, `issuers[0].algorithms[1]`; keys that are not plain names are quoted: `context.rename["cognito:groups"]`. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
