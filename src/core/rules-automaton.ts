// An exact comparison of IAM resource patterns with route rules, over every possible request path.
//
// API Gateway matches a policy Resource against the methodArn with IAM wildcards (`*` any run,
// `/` included; `?` one character). Both the patterns and the route templates are regular
// languages, so they can be run together as one automaton: every automaton in it (each pattern,
// each route, and a check that the path is well formed) gets its own states, and a subset
// construction explores every combination of their states that some path reaches. Each reached
// combination is one "observation": a shortest path that reaches it (the witness), which patterns
// match there, and what the rules expect there. Paths that reach the same combination are alike
// for every pattern and route, so checking the observations checks every path.
//
// Characters that no pattern or route names behave alike everywhere, so the alphabet is the named
// characters, `/`, and one stand-in for all the others: a finite search over infinitely many paths.
import type { HttpMethod, Segment } from './rules-types.js';

const ANY = -1;
const NON_SLASH = -2;

/** 0: the path must be allowed; 1: it must be refused; 2: either (no route lists it and unlisted paths are unreachable). */
export type Expectation = 0 | 1 | 2;
export const MUST_ALLOW: Expectation = 0;
export const MUST_DENY: Expectation = 1;
export const EITHER: Expectation = 2;

export interface CheckedRoute {
  readonly method: HttpMethod | 'ANY';
  readonly segments: readonly Segment[];
  readonly satisfied: boolean;
}

export interface ObserveInput {
  /** In precedence order, most specific first: the first one that matches handles the path. */
  readonly routes: readonly CheckedRoute[];
  /** For well-formed paths no route handles. */
  readonly unlisted: Expectation;
  /** IAM patterns for what follows `{stage}/` in a methodArn: `GET/pets/?*`. */
  readonly patterns: readonly string[];
  readonly verbs: readonly HttpMethod[];
  /**
   * Give up (undefined) past this much work, over all verbs: one unit per automaton state stepped
   * over one symbol, about 0.1 µs each.
   */
  readonly maxWork: number;
}

export interface Observation {
  readonly verb: HttpMethod;
  /** A request path that reaches this combination, without its leading `/`. */
  readonly path: string;
  readonly expected: Expectation;
  /** Indexes into `patterns` of the patterns that match `{verb}/{path}`. */
  readonly matching: readonly number[];
}

type Role =
  { kind: 'route'; rank: number } | { kind: 'pattern'; index: number } | { kind: 'wellFormed' };

/** One NFA holding every automaton; each state knows which automaton (role) owns it. */
class Machine {
  readonly labels: number[][] = [];
  readonly targets: number[][] = [];
  readonly epsilons: number[][] = [];
  readonly owner: number[] = [];
  readonly accepting: boolean[] = [];
  readonly roles: Role[] = [];
  private readonly marks: number[] = [];
  private stamp = 0;

  constructor(readonly alphabet: Alphabet) {}

  role(role: Role): number {
    return this.roles.push(role) - 1;
  }

  state(owner: number): number {
    this.labels.push([]);
    this.targets.push([]);
    this.epsilons.push([]);
    this.owner.push(owner);
    this.accepting.push(false);
    this.marks.push(0);
    return this.owner.length - 1;
  }

  edge(from: number, label: number, to: number): void {
    this.labels[from]!.push(label);
    this.targets[from]!.push(to);
  }

  /** The states reachable from `states` by epsilon moves, sorted, without repeats. */
  closure(states: readonly number[]): number[] {
    const stamp = ++this.stamp;
    const out: number[] = [];
    for (const s of states) this.addClosed(s, stamp, out);
    return out.sort((a, b) => a - b);
  }

  step(states: readonly number[], symbol: number): number[] {
    const stamp = ++this.stamp;
    const out: number[] = [];
    const slash = this.alphabet.slash;
    for (const s of states) {
      const labels = this.labels[s]!;
      for (let i = 0; i < labels.length; i++) {
        const l = labels[i]!;
        if (l === symbol || l === ANY || (l === NON_SLASH && symbol !== slash))
          this.addClosed(this.targets[s]![i]!, stamp, out);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * The symbols worth stepping on from `states`: those some edge names, `/`, and the stand-in.
   * Any other symbol takes only the ANY and NON_SLASH edges, exactly as the stand-in does.
   */
  distinctSymbols(states: readonly number[]): number[] {
    const named = new Set<number>([this.alphabet.other, this.alphabet.slash]);
    for (const s of states) for (const l of this.labels[s]!) if (l >= 0) named.add(l);
    return [...named];
  }

  private addClosed(state: number, stamp: number, out: number[]): void {
    if (this.marks[state] === stamp) return;
    this.marks[state] = stamp;
    out.push(state);
    for (const t of this.epsilons[state]!) this.addClosed(t, stamp, out);
  }

  run(states: readonly number[], text: string): number[] {
    let current = [...states];
    for (const ch of text) current = this.step(current, this.alphabet.code(ch));
    return current;
  }
}

/** The characters some automaton names, `/`, and a stand-in for all others. */
class Alphabet {
  readonly chars: string[];
  readonly slash: number;
  readonly other: number;
  /** A character no automaton names, used for the stand-in in witnesses. */
  readonly otherChar: string;
  private readonly codes = new Map<string, number>();

  constructor(named: Iterable<string>) {
    const set = new Set<string>(named);
    set.add('/');
    this.chars = [...set].sort();
    this.chars.forEach((c, i) => this.codes.set(c, i));
    this.slash = this.codes.get('/')!;
    this.other = this.chars.length;
    this.otherChar = [...'xzqjkvwy0123456789', 'é', 'ß'].find((c) => !set.has(c))!;
  }

  code(ch: string): number {
    return this.codes.get(ch) ?? this.other;
  }

  text(symbol: number): string {
    return symbol === this.other ? this.otherChar : this.chars[symbol]!;
  }
}

function namedCharacters(input: ObserveInput): Set<string> {
  const chars = new Set<string>();
  for (const p of input.patterns) for (const ch of p) if (ch !== '*' && ch !== '?') chars.add(ch);
  for (const r of input.routes)
    for (const s of r.segments) if (s.kind === 'literal') for (const ch of s.value) chars.add(ch);
  return chars;
}

/** An IAM pattern: `*` loops on anything then moves on; `?` takes any one character. */
function addPattern(m: Machine, pattern: string, owner: number): number {
  const start = m.state(owner);
  let s = start;
  for (const ch of pattern) {
    const t = m.state(owner);
    if (ch === '*') {
      m.edge(s, ANY, s);
      m.epsilons[s]!.push(t);
    } else {
      m.edge(s, ch === '?' ? ANY : m.alphabet.code(ch), t);
    }
    s = t;
  }
  m.accepting[s] = true;
  return start;
}

/** A route template over the path after `{verb}/`, with one optional trailing slash. */
function addRoute(m: Machine, segments: readonly Segment[], owner: number): number {
  const start = m.state(owner);
  let s = start;
  if (segments.length === 0) {
    m.accepting[s] = true; // the root: the empty path only; `GET//` has an empty segment
    return start;
  }
  const slash = m.alphabet.slash;
  segments.forEach((seg, i) => {
    if (i > 0) {
      const t = m.state(owner);
      m.edge(s, slash, t);
      s = t;
    }
    if (seg.kind === 'literal') {
      for (const ch of seg.value) {
        const t = m.state(owner);
        m.edge(s, m.alphabet.code(ch), t);
        s = t;
      }
      return;
    }
    const t = m.state(owner); // inside a parameter value: one or more characters other than /
    m.edge(s, NON_SLASH, t);
    m.edge(t, NON_SLASH, t);
    if (seg.kind === 'greedy') {
      const u = m.state(owner); // a greedy parameter goes on with / and another non-empty segment
      m.edge(t, slash, u);
      m.edge(u, NON_SLASH, t);
    }
    s = t;
  });
  m.accepting[s] = true;
  const trailing = m.state(owner);
  m.edge(s, slash, trailing);
  m.accepting[trailing] = true;
  return start;
}

/** Well-formed paths: empty (the root) or non-empty segments joined by `/`, one trailing `/` allowed. */
function addWellFormed(m: Machine, owner: number): number {
  const start = m.state(owner);
  const inSegment = m.state(owner);
  const afterSlash = m.state(owner);
  m.edge(start, NON_SLASH, inSegment);
  m.edge(inSegment, NON_SLASH, inSegment);
  m.edge(inSegment, m.alphabet.slash, afterSlash);
  m.edge(afterSlash, NON_SLASH, inSegment);
  for (const s of [start, inSegment, afterSlash]) m.accepting[s] = true;
  return start;
}

interface Built {
  readonly machine: Machine;
  readonly patternStarts: number[];
  readonly routeStarts: number[];
  readonly wellFormedStart: number;
}

function build(input: ObserveInput): Built {
  const machine = new Machine(new Alphabet(namedCharacters(input)));
  const patternStarts = input.patterns.map((p, index) =>
    addPattern(machine, p, machine.role({ kind: 'pattern', index })),
  );
  const routeStarts = input.routes.map((r, rank) =>
    addRoute(machine, r.segments, machine.role({ kind: 'route', rank })),
  );
  const wellFormedStart = addWellFormed(machine, machine.role({ kind: 'wellFormed' }));
  return { machine, patternStarts, routeStarts, wellFormedStart };
}

/** What the rules expect, and which patterns match, for a combination of states. */
function describe(
  input: ObserveInput,
  m: Machine,
  states: readonly number[],
): { expected: Expectation; matching: number[] } {
  let wellFormed = false;
  let winner = Infinity;
  const matching = new Set<number>();
  for (const s of states) {
    if (!m.accepting[s]) continue;
    const role = m.roles[m.owner[s]!]!;
    if (role.kind === 'wellFormed') wellFormed = true;
    else if (role.kind === 'route') winner = Math.min(winner, role.rank);
    else matching.add(role.index);
  }
  const expected = !wellFormed
    ? MUST_DENY
    : winner === Infinity
      ? input.unlisted
      : input.routes[winner]!.satisfied
        ? MUST_ALLOW
        : MUST_DENY;
  return { expected, matching: [...matching].sort((a, b) => a - b) };
}

/**
 * Every distinct combination reached by `{verb}/{path}` for every verb and every path, or
 * undefined when finding them takes more than `maxWork`.
 */
export function observe(input: ObserveInput): Observation[] | undefined {
  const built = build(input);
  const m = built.machine;
  const out: Observation[] = [];
  let work = 0;
  for (const verb of input.verbs) {
    // Patterns start at the verb; routes and the well-formedness check at the path after it.
    const routeStarts = built.routeStarts.filter(
      (_, i) => input.routes[i]!.method === verb || input.routes[i]!.method === 'ANY',
    );
    const start = [
      ...m.run(m.closure(built.patternStarts), `${verb}/`),
      ...m.closure([...routeStarts, built.wellFormedStart]),
    ].sort((a, b) => a - b);
    const seen = new Set<string>([start.join(',')]);
    const queue: { states: number[]; path: string }[] = [{ states: start, path: '' }];
    for (let q = 0; q < queue.length; q++) {
      const { states, path } = queue[q]!;
      out.push({ verb, path, ...describe(input, m, states) });
      // The stand-in first, so that witnesses read like `/x/photos`, not like `/A/photos`.
      const symbols = m.distinctSymbols(states);
      work += states.length * symbols.length;
      if (work > input.maxWork) return undefined;
      for (const symbol of symbols) {
        const next = m.step(states, symbol);
        // No state left: nothing matches and nothing is expected to be allowed from here on.
        if (next.length === 0) continue;
        const key = next.join(',');
        if (seen.has(key)) continue;
        seen.add(key);
        queue.push({ states: next, path: path + m.alphabet.text(symbol) });
      }
    }
  }
  return out;
}
