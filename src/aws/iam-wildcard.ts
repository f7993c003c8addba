/**
 * An IAM wildcard as a RegExp: `*` any run of characters (across `/` and line breaks alike), `?`
 * exactly one, everything else literal; case-sensitive unless `flags` has `i`. Policy resources
 * and the StringLike conditions share it, so both match the same characters.
 */
export function iamWildcard(pattern: string, flags = ''): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    `s${flags}`,
  );
}
