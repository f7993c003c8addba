// The syntax tree of a claim pattern, for the linear-time matcher in rules-pattern.ts.
//
// The source has already compiled as a JavaScript RegExp with the `u` flag, so its syntax is
// valid and strict (no Annex B leniencies: a lone `{`, `}` or `]` is an error there). This parser
// only needs to find the structure: alternations, groups, quantifiers and assertions. Each
// single-character piece (a literal, `.`, an escape such as `\d` or `\p{L}`, a class `[...]`) is
// left to JavaScript itself: a RegExp of that piece alone decides which code points it matches, so
// the matcher agrees with JavaScript's meaning of every class and escape.
//
// Refused, with the character position: backreferences (`\1`, `\k<name>`) and lookarounds
// (`(?=`, `(?!`, `(?<=`, `(?<!`), which no linear-time automaton can run.

import { TollgateError } from './errors.js';

export type Assertion = 'start' | 'end' | 'word' | 'notWord';

export type RegexNode =
  | { readonly kind: 'char'; readonly matches: (codePoint: number) => boolean }
  | { readonly kind: 'assert'; readonly assertion: Assertion }
  | { readonly kind: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alt'; readonly options: readonly RegexNode[] }
  | {
      readonly kind: 'repeat';
      readonly item: RegexNode;
      readonly min: number;
      readonly max: number;
    };

export class PatternRefused extends TollgateError<'PATTERN_REFUSED'> {
  constructor(message: string) {
    super('PATTERN_REFUSED', message);
  }
}

/** The tree of a pattern that compiles with the `u` flag; throws PatternRefused for what it cannot run. */
export function parsePattern(source: string): RegexNode {
  const parser = new Parser(source);
  const node = parser.alternation();
  if (parser.i < source.length)
    throw new PatternRefused(
      `has an unexpected ${JSON.stringify(source[parser.i])} at character ${parser.i + 1}`,
    );
  return node;
}

class Parser {
  i = 0;
  constructor(private readonly source: string) {}

  alternation(): RegexNode {
    const options = [this.sequence()];
    while (this.source[this.i] === '|') {
      this.i++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { kind: 'alt', options };
  }

  private sequence(): RegexNode {
    const items: RegexNode[] = [];
    while (
      this.i < this.source.length &&
      this.source[this.i] !== '|' &&
      this.source[this.i] !== ')'
    ) {
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? items[0]! : { kind: 'seq', items };
  }

  private quantified(item: RegexNode): RegexNode {
    const s = this.source;
    const c = s[this.i];
    let min: number;
    let max: number;
    if (c === '*' || c === '+' || c === '?') {
      [min, max] = c === '*' ? [0, Infinity] : c === '+' ? [1, Infinity] : [0, 1];
      this.i++;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.i))!;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length;
    } else {
      return item;
    }
    if (s[this.i] === '?') this.i++; // lazy: the same strings match
    return this.quantified({ kind: 'repeat', item, min, max });
  }

  private atom(): RegexNode {
    const s = this.source;
    const start = this.i;
    const c = s[start]!;
    if (c === '(') return this.group();
    if (c === '^' || c === '$') {
      this.i++;
      return { kind: 'assert', assertion: c === '^' ? 'start' : 'end' };
    }
    if (c === '[') {
      this.i = classEnd(s, start);
      return single(s.slice(start, this.i));
    }
    if (c === '\\') return this.escape();
    const width = s.codePointAt(start)! > 0xffff ? 2 : 1;
    this.i += width;
    return c === '.' ? single('.') : literal(s.codePointAt(start)!);
  }

  private group(): RegexNode {
    const s = this.source;
    const at = this.i + 1;
    const prefix = /^\((?:\?(?::|=|!|<=|<!|<[^>]*>))?/.exec(s.slice(this.i))![0];
    if (/^\(\?(?:=|!|<=|<!)$/.test(prefix)) {
      throw new PatternRefused(
        `uses a lookaround (${prefix.slice(1)}) at character ${at}, which linear-time matching cannot run; write the condition as its own claim rule`,
      );
    }
    this.i += prefix.length;
    const inner = this.alternation();
    this.i++; // ')'
    return inner;
  }

  private escape(): RegexNode {
    const s = this.source;
    const start = this.i;
    const kind = s[start + 1]!;
    if (/[1-9]/.test(kind) || (kind === 'k' && s[start + 2] === '<')) {
      throw new PatternRefused(
        `uses a backreference (${s.slice(start, start + 2)}) at character ${start + 1}; backreferences are not allowed`,
      );
    }
    if (kind === 'b' || kind === 'B') {
      this.i += 2;
      return { kind: 'assert', assertion: kind === 'b' ? 'word' : 'notWord' };
    }
    this.i = escapeEnd(s, start);
    return single(s.slice(start, this.i));
  }
}

function literal(codePoint: number): RegexNode {
  return { kind: 'char', matches: (cp) => cp === codePoint };
}

/**
 * One character as JavaScript reads `piece` (`.`, `\d`, `\p{L}`, `[^@\s]`, `\u{1F600}`):
 * JavaScript's own RegExp decides, once per code point seen for ASCII (kept in a table).
 */
function single(piece: string): RegexNode {
  const re = new RegExp(`^(?:${piece})$`, 'u');
  const ascii = new Int8Array(128); // 0: not yet asked, 1: matches, -1: does not
  const matches = (cp: number): boolean => {
    if (cp < 128) {
      if (ascii[cp] === 0) ascii[cp] = re.test(String.fromCharCode(cp)) ? 1 : -1;
      return ascii[cp] === 1;
    }
    return re.test(String.fromCodePoint(cp));
  };
  return { kind: 'char', matches };
}

/** Index after an escape: `\d`, `\u{1F600}`, `\p{L}`, `\uFFFF` (or a surrogate pair of them), `\x41`, `\cJ`. */
function escapeEnd(source: string, i: number): number {
  const kind = source[i + 1];
  if ((kind === 'u' || kind === 'p' || kind === 'P') && source[i + 2] === '{')
    return source.indexOf('}', i) + 1;
  if (kind === 'u') {
    const high = parseInt(source.slice(i + 2, i + 6), 16);
    const pair =
      high >= 0xd800 &&
      high <= 0xdbff &&
      /^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(source.slice(i + 6));
    return i + (pair ? 12 : 6);
  }
  if (kind === 'x') return i + 4;
  if (kind === 'c') return i + 3;
  return i + 1 + (source.codePointAt(i + 1)! > 0xffff ? 2 : 1);
}

/** Index after a character class, `[...]`, whose escapes may hide a `]`. */
function classEnd(source: string, i: number): number {
  let j = i + 1;
  while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
  return j + 1;
}
