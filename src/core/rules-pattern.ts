// Claim patterns: regular expressions a rules file writes, matched in linear time.
//
// Claim values come from signed tokens, but users often choose some of them (a name, an email), so
// no value may make the authorizer spin. JavaScript's backtracking engine is exponential on nested
// quantifiers (`(a+)+$`) and polynomial on runs of them (`a{0,200}a{0,200}b` took 21 ms on 256
// characters). So patterns never run on it: they are compiled to a Thompson automaton (a state
// per character position, plus forks and assertions) and run over the value once, all threads in
// step (as RE2 does), which costs at most (value length + 1) × 2 × states steps, whatever the
// pattern and the value (bench/patterns.mjs compares it with V8). Bounds:
//   - MAX_PATTERN_LENGTH characters of source, valid with the `u` flag (strict syntax);
//   - MAX_PATTERN_POSITIONS character positions once bounded repeats are written out
//     (`a{0,200}` is 200 of them);
//   - no backreferences and no lookarounds, which no automaton can run (refused with their position);
//   - values longer than MAX_PATTERN_INPUT characters never match (and are not read).
// JavaScript's own RegExp still decides what each single character piece (`\d`, `\p{L}`, `[^@]`)
// matches, so a pattern means what it means in JavaScript.
import {
  parsePattern,
  PatternRefused,
  type Assertion,
  type RegexNode,
} from './rules-regex-parse.js';

export const MAX_PATTERN_LENGTH = 200;
export const MAX_PATTERN_POSITIONS = 256;
export const MAX_PATTERN_INPUT = 256;

/** A compiled claim pattern. `test` searches the value, as RegExp.prototype.test does (unanchored). */
export interface ClaimPattern {
  readonly source: string;
  /** Automaton states: one character of the value costs at most twice this many steps. */
  readonly states: number;
  test(value: string): boolean;
}

export type CompiledPattern = { ok: true; pattern: ClaimPattern } | { ok: false; message: string };

/** Matches run and steps taken (states visited) so far: for tests that bound the work, not the time. */
export const patternWork = { runs: 0, steps: 0 };

export function compileClaimPattern(source: string): CompiledPattern {
  if (source.length === 0) return { ok: false, message: 'must not be empty' };
  if (source.length > MAX_PATTERN_LENGTH)
    return {
      ok: false,
      message: `is ${source.length} characters long; patterns may have at most ${MAX_PATTERN_LENGTH}`,
    };
  try {
    new RegExp(source, 'u');
  } catch (error) {
    return {
      ok: false,
      message: `is not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
    };
  }
  try {
    const program = new Program();
    const entry = program.compile(parsePattern(source), MATCH);
    return { ok: true, pattern: new Automaton(source, program, entry) };
  } catch (error) {
    if (error instanceof PatternRefused) return { ok: false, message: error.message };
    throw error;
  }
}

/** Does the pattern match the value? Values over MAX_PATTERN_INPUT characters never do. */
export function patternMatches(pattern: ClaimPattern, value: string): boolean {
  return value.length <= MAX_PATTERN_INPUT && pattern.test(value);
}

// ---------------------------------------------------------------------------------------------
// The automaton: states in arrays. A state either consumes one character (`char`, then `next`),
// checks a position (`assert`, then `next`), forks (`split`: `next` and `alt`), or accepts.

const MATCH = 0;
const Op = { Match: 0, Char: 1, Assert: 2, Split: 3 } as const;
type Op = (typeof Op)[keyof typeof Op];

class Program {
  readonly op: Op[] = [Op.Match];
  readonly next: number[] = [-1];
  readonly alt: number[] = [-1];
  readonly matches: (((cp: number) => boolean) | undefined)[] = [undefined];
  readonly assertion: (Assertion | undefined)[] = [undefined];
  positions = 0;

  private add(op: Op, next: number, alt = -1): number {
    this.op.push(op);
    this.next.push(next);
    this.alt.push(alt);
    this.matches.push(undefined);
    this.assertion.push(undefined);
    return this.op.length - 1;
  }

  /** Compiles `node` to run before state `then`; returns its entry state. Built back to front. */
  compile(node: RegexNode, then: number): number {
    switch (node.kind) {
      case 'char': {
        if (++this.positions > MAX_PATTERN_POSITIONS) {
          throw new PatternRefused(
            `has more than ${MAX_PATTERN_POSITIONS} character positions once repeats are counted out (a{0,200} is 200); patterns may have at most ${MAX_PATTERN_POSITIONS}`,
          );
        }
        const s = this.add(Op.Char, then);
        this.matches[s] = node.matches;
        return s;
      }
      case 'assert': {
        const s = this.add(Op.Assert, then);
        this.assertion[s] = node.assertion;
        return s;
      }
      case 'seq':
        return node.items.reduceRight((next, item) => this.compile(item, next), then);
      case 'alt':
        return node.options
          .map((option) => this.compile(option, then))
          .reduce((a, b) => this.add(Op.Split, a, b));
      case 'repeat':
        return this.repeat(node.item, node.min, node.max, then);
    }
  }

  private repeat(item: RegexNode, min: number, max: number, then: number): number {
    let entry = then;
    if (max === Infinity) {
      const loop = this.add(Op.Split, -1, then); // item again, or on
      this.next[loop] = this.compile(item, loop);
      entry = loop;
    } else {
      for (let k = min; k < max; k++) entry = this.add(Op.Split, this.compile(item, entry), then); // optional copies
    }
    for (let k = 0; k < min; k++) entry = this.compile(item, entry);
    return entry;
  }
}

class Automaton implements ClaimPattern {
  readonly states: number;
  private readonly op: Uint8Array;
  private readonly next: Int32Array;
  private readonly alt: Int32Array;
  private readonly matches: readonly (((cp: number) => boolean) | undefined)[];
  private readonly assertion: readonly (Assertion | undefined)[];
  /** The position at which each state was last visited (a stamp), so each is visited once per position. */
  private readonly marks: Uint32Array;
  private stamp = 0;
  // Work lists, allocated once: character states alive before this position and the next; a
  // stack for following splits (each state pushed at most once per edge into it).
  private current: Int32Array;
  private following: Int32Array;
  private readonly stack: Int32Array;
  private count = 0;
  private steps = 0;

  constructor(
    readonly source: string,
    p: Program,
    private readonly entry: number,
  ) {
    this.states = p.op.length;
    this.op = Uint8Array.from(p.op);
    this.next = Int32Array.from(p.next);
    this.alt = Int32Array.from(p.alt);
    this.matches = p.matches;
    this.assertion = p.assertion;
    this.marks = new Uint32Array(this.states);
    this.current = new Int32Array(this.states);
    this.following = new Int32Array(this.states);
    this.stack = new Int32Array(2 * this.states + 1);
  }

  /** All threads in step over the value, once: each state visited at most once per position. */
  test(value: string): boolean {
    patternWork.runs++;
    this.steps = 0;
    const found = this.run(value);
    patternWork.steps += this.steps;
    return found;
  }

  private run(value: string): boolean {
    let prev = -1;
    let cp = value.length > 0 ? value.codePointAt(0)! : -1;
    let alive = 0;
    this.newPosition();
    for (let i = 0; ;) {
      this.count = alive;
      if (this.follow(this.entry, prev, cp, this.current)) return true; // a new thread here: the search is unanchored
      if (cp < 0) return false;
      alive = this.count;
      const width = cp > 0xffff ? 2 : 1;
      const after = i + width < value.length ? value.codePointAt(i + width)! : -1;
      this.newPosition();
      this.count = 0;
      this.steps += alive;
      for (let k = 0; k < alive; k++) {
        const s = this.current[k]!;
        if (this.matches[s]!(cp) && this.follow(this.next[s]!, cp, after, this.following))
          return true;
      }
      alive = this.count;
      const swap = this.current;
      this.current = this.following;
      this.following = swap;
      prev = cp;
      cp = after;
      i += width;
    }
  }

  private newPosition(): void {
    if (++this.stamp === 0xffffffff) {
      this.marks.fill(0);
      this.stamp = 1;
    }
  }

  /**
   * Appends the character states reachable from `state` without consuming (through splits, and
   * assertions that hold between `before` and `after`: code points, or -1 at an edge) to `out`
   * (from this.count on). True when the accepting state is reached.
   */
  private follow(state: number, before: number, after: number, out: Int32Array): boolean {
    const { stack, marks, stamp, op } = this;
    let top = 0;
    stack[top++] = state;
    while (top > 0) {
      const s = stack[--top]!;
      if (marks[s] === stamp) continue;
      marks[s] = stamp;
      this.steps++;
      const kind = op[s];
      if (kind === Op.Match) return true;
      if (kind === Op.Char) out[this.count++] = s;
      else if (kind === Op.Split) {
        stack[top++] = this.alt[s]!;
        stack[top++] = this.next[s]!;
      } else if (holds(this.assertion[s]!, before, after)) stack[top++] = this.next[s]!;
    }
    return false;
  }
}

const isWord = (cp: number): boolean =>
  (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122) || cp === 95;

function holds(assertion: Assertion, before: number, after: number): boolean {
  switch (assertion) {
    case 'start':
      return before === -1;
    case 'end':
      return after === -1;
    case 'word':
      return isWord(before) !== isWord(after);
    case 'notWord':
      return isWord(before) === isWord(after);
  }
}
