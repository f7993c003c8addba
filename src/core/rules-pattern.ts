// Claim patterns: regular expressions a rules file writes, compiled so that matching stays fast.
//
// Claim values come from signed tokens, but users often choose some of them (a name, an email), so
// a pattern must not let a value make the authorizer spin. JavaScript's backtracking engine is
// exponential on nested quantifiers (`(a+)+$`) and polynomial on runs of them (`a*a*a*b` takes
// over a second on 256 characters). The guard, checked when the rules are loaded:
//   - at most MAX_PATTERN_LENGTH characters, compiled with the `u` flag (strict syntax);
//   - no backreferences;
//   - no quantifier on a group that has a quantifier or an alternation inside (`(a+)+`, `(a|ab)*`);
//   - at most MAX_BRANCH_POINTS repetitions and alternations in all: each `*`, `+`, `?`, `{n,}` and
//     `{n,m}` counts one (an exact `{n}` does not), and each group with `|` counts one;
// and, when a request is decided, values longer than MAX_PATTERN_INPUT characters never match.
// Together these bound the worst case at about n³ steps for n = 256: a few milliseconds.

export const MAX_PATTERN_LENGTH = 200;
export const MAX_BRANCH_POINTS = 2;
export const MAX_PATTERN_INPUT = 256;

export type CompiledPattern = { ok: true; regex: RegExp } | { ok: false; message: string };

export function compileClaimPattern(source: string): CompiledPattern {
  if (source.length === 0) return { ok: false, message: 'must not be empty' };
  if (source.length > MAX_PATTERN_LENGTH) return { ok: false, message: `is ${source.length} characters long; patterns may have at most ${MAX_PATTERN_LENGTH}` };
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'u');
  } catch (error) {
    return { ok: false, message: `is not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}` };
  }
  const unsafe = backtrackingRisk(source);
  return unsafe === undefined ? { ok: true, regex } : { ok: false, message: unsafe };
}

/** Does the pattern match the value? Searched, not anchored: patterns write `^` and `$` themselves. */
export function patternMatches(regex: RegExp, value: string): boolean {
  return value.length <= MAX_PATTERN_INPUT && regex.test(value);
}

interface Group {
  /** Has a quantifier or an alternation anywhere inside. */
  branching: boolean;
  alternation: boolean;
}

type Last = 'nothing' | 'atom' | 'plain-group' | 'branching-group';

/**
 * Why a syntactically valid pattern (`u` flag) could backtrack badly, or undefined. Walks the
 * source once, tracking groups, since the syntax is already known to be valid.
 */
function backtrackingRisk(source: string): string | undefined {
  const groups: Group[] = [{ branching: false, alternation: false }];
  let branchPoints = 0;
  let last: Last = 'nothing';
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const top = groups[groups.length - 1]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9k]/.test(next)) return 'uses a backreference, which can make matching slow; backreferences are not allowed';
      i = escapeEnd(source, i);
      last = 'atom';
    } else if (c === '[') {
      i = classEnd(source, i);
      last = 'atom';
    } else if (c === '(') {
      groups.push({ branching: false, alternation: false });
      i = groupBodyStart(source, i);
      last = 'nothing';
    } else if (c === ')') {
      const closed = groups.pop()!;
      if (closed.alternation) branchPoints++;
      const parent = groups[groups.length - 1]!;
      parent.branching ||= closed.branching;
      last = closed.branching ? 'branching-group' : 'plain-group';
      i++;
    } else if (c === '|') {
      top.alternation = true;
      top.branching = true;
      last = 'nothing';
      i++;
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      if (last === 'branching-group') {
        return 'repeats a group that has a quantifier or | inside (like (a+)+ or (a|ab)*), which can backtrack catastrophically';
      }
      const end = c === '{' ? source.indexOf('}', i) + 1 : i + 1;
      if (!/^\{\d+\}$/.test(source.slice(i, end))) {
        branchPoints++;
        top.branching = true;
      }
      i = source[end] === '?' ? end + 1 : end; // a lazy quantifier is the same repetition
      last = 'atom';
    } else {
      i++;
      last = 'atom';
    }
  }
  if (groups[0]!.alternation) branchPoints++;
  if (branchPoints > MAX_BRANCH_POINTS) {
    return `has ${branchPoints} repetitions and alternations (*, +, ?, {n,m}, groups with |); at most ${MAX_BRANCH_POINTS} are allowed so that matching stays fast (oneOf lists values without a pattern)`;
  }
  return undefined;
}

/** Index after an escape: `\d`, `\u{1F600}`, `\p{L}`, `\uFFFF`, `\x41`, `\cJ`. */
function escapeEnd(source: string, i: number): number {
  const kind = source[i + 1];
  if ((kind === 'u' || kind === 'p' || kind === 'P') && source[i + 2] === '{') return source.indexOf('}', i) + 1;
  return i + 2;
}

/** Index after a character class, `[...]`, whose escapes may hide a `]`. */
function classEnd(source: string, i: number): number {
  let j = i + 1;
  while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** Index of a group's first token, after `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` or `(?<name>`. */
function groupBodyStart(source: string, i: number): number {
  if (source[i + 1] !== '?') return i + 1;
  const rest = source.slice(i + 2);
  const prefix = /^(?::|=|!|<=|<!|<[^>]*>)/.exec(rest);
  return i + 2 + (prefix ? prefix[0].length : 0);
}
