// IAM policy `Condition` blocks in a Lambda authorizer's policy, evaluated as IAM documents them
// (docs/emulation.md, "Policy conditions"), over the condition keys API Gateway provides to every
// authorization type. A condition this module cannot establish is reported, never guessed: the
// caller refuses the request (an Allow is not applied; a Deny is).
import { isIP } from 'node:net';
import { iamWildcard } from './iam-wildcard.js';

/** What a request offers to conditions: the keys API Gateway documents for all authorization types. */
export interface ConditionRequest {
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
  readonly referer: string | undefined;
  readonly nowMs: number;
}

/** `true`/`false`: the condition holds or not; a string: why it cannot be evaluated (names the condition). */
export type ConditionOutcome = boolean | string;

type Values = readonly string[];

/**
 * The keys' values, by lower-case name (IAM key names are case-insensitive). API Gateway serves only
 * HTTPS, so `aws:SecureTransport` is `true` as deployed, although the local listener is plain HTTP.
 * Keys absent from a request are absent here; keys Tollgate cannot know are not listed at all.
 */
function contextKeys(req: ConditionRequest): Map<string, Values | undefined> {
  return new Map<string, Values | undefined>([
    ['aws:sourceip', [plainIp(req.sourceIp)]],
    ['aws:currenttime', [new Date(req.nowMs).toISOString().replace(/\.\d{3}Z$/, 'Z')]],
    ['aws:epochtime', [String(Math.floor(req.nowMs / 1000))]],
    ['aws:securetransport', ['true']],
    ['aws:useragent', req.userAgent === undefined ? undefined : [req.userAgent]],
    ['aws:referer', req.referer === undefined ? undefined : [req.referer]],
  ]);
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) is 127.0.0.1. */
const plainIp = (ip: string): string =>
  /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;

type Compare = (actual: string, expected: string) => boolean | undefined;

const like = (pattern: string, value: string, flags = ''): boolean =>
  iamWildcard(pattern, flags).test(value);

const num = (s: string): number | undefined =>
  /^\s*-?\d+(\.\d+)?\s*$/.test(s) ? Number(s) : undefined;
/** IAM dates: ISO 8601 or epoch seconds. */
const date = (s: string): number | undefined => {
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : NaN;
  return Number.isNaN(ms) ? undefined : ms;
};
const ordered =
  (parse: (s: string) => number | undefined, test: (a: number, b: number) => boolean): Compare =>
  (a, e) => {
    const x = parse(a);
    const y = parse(e);
    return x === undefined || y === undefined ? undefined : test(x, y);
  };

/** The positive form of each operator; `negated` operators are true when no value matches. */
const OPERATORS: Record<string, { compare: Compare; negated: boolean }> = {
  stringequals: { compare: (a, e) => a === e, negated: false },
  stringnotequals: { compare: (a, e) => a === e, negated: true },
  stringequalsignorecase: {
    compare: (a, e) => a.toLowerCase() === e.toLowerCase(),
    negated: false,
  },
  stringnotequalsignorecase: {
    compare: (a, e) => a.toLowerCase() === e.toLowerCase(),
    negated: true,
  },
  stringlike: { compare: (a, e) => like(e, a), negated: false },
  stringnotlike: { compare: (a, e) => like(e, a), negated: true },
  numericequals: { compare: ordered(num, (a, b) => a === b), negated: false },
  numericnotequals: { compare: ordered(num, (a, b) => a === b), negated: true },
  numericlessthan: { compare: ordered(num, (a, b) => a < b), negated: false },
  numericlessthanequals: { compare: ordered(num, (a, b) => a <= b), negated: false },
  numericgreaterthan: { compare: ordered(num, (a, b) => a > b), negated: false },
  numericgreaterthanequals: { compare: ordered(num, (a, b) => a >= b), negated: false },
  dateequals: { compare: ordered(date, (a, b) => a === b), negated: false },
  datenotequals: { compare: ordered(date, (a, b) => a === b), negated: true },
  datelessthan: { compare: ordered(date, (a, b) => a < b), negated: false },
  datelessthanequals: { compare: ordered(date, (a, b) => a <= b), negated: false },
  dategreaterthan: { compare: ordered(date, (a, b) => a > b), negated: false },
  dategreaterthanequals: { compare: ordered(date, (a, b) => a >= b), negated: false },
  bool: {
    compare: (a, e) =>
      /^(true|false)$/i.test(e) ? a.toLowerCase() === e.toLowerCase() : undefined,
    negated: false,
  },
  ipaddress: { compare: (a, e) => inCidr(a, e), negated: false },
  notipaddress: { compare: (a, e) => inCidr(a, e), negated: true },
};

/** Whether `ip` is in `cidr` (`10.0.0.0/8`, `2001:db8::/32`, or one address); undefined for a malformed range. */
export function inCidr(ip: string, cidr: string): boolean | undefined {
  const [base, bitsText] = cidr.trim().split('/');
  const family = isIP(base ?? '');
  if (family === 0) return undefined;
  const width = family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > width || !/^\d*$/.test(bitsText ?? ''))
    return undefined;
  if (isIP(ip) !== family) return false;
  const a = toBigInt(ip, family);
  const b = toBigInt(base!, family);
  const shift = BigInt(width - bits);
  return a >> shift === b >> shift;
}

function toBigInt(ip: string, family: number): bigint {
  if (family === 4) return ip.split('.').reduce((n, part) => (n << 8n) + BigInt(Number(part)), 0n);
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) stands for two groups.
  const groups = (s: string): string[] =>
    s === ''
      ? []
      : s
          .split(':')
          .flatMap((g) =>
            g.includes('.')
              ? [(toBigInt(g, 4) >> 16n).toString(16), (toBigInt(g, 4) & 0xffffn).toString(16)]
              : [g],
          );
  const [head = '', tail] = ip.split('::');
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all =
    tail === undefined
      ? front
      : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return all.reduce((n, g) => (n << 16n) + BigInt(parseInt(g, 16)), 0n);
}

const asValues = (v: unknown): string[] | undefined => {
  const list = Array.isArray(v) ? v : [v];
  return list.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')
    ? list.map(String)
    : undefined;
};

/** One `Operator: { key: values }` entry for one key. */
function evaluateKey(
  operatorName: string,
  key: string,
  expectedRaw: unknown,
  keys: Map<string, Values | undefined>,
): ConditionOutcome {
  const named = `${operatorName} ${key}`;
  let op = operatorName;
  let set: 'any' | 'all' | undefined;
  const qualifier = /^(ForAnyValue|ForAllValues):(.+)$/i.exec(op);
  if (qualifier) {
    set = qualifier[1]!.toLowerCase() === 'foranyvalue' ? 'any' : 'all';
    op = qualifier[2]!;
  }
  const ifExists = /IfExists$/i.test(op);
  if (ifExists) op = op.slice(0, -'IfExists'.length);
  const expected = asValues(expectedRaw);
  if (expected === undefined || expected.length === 0)
    return `${named}: the condition's values are not strings, numbers or booleans`;
  if (expected.some((e) => e.includes('${')))
    return `${named}: policy variables (\${...}) are not evaluated locally`;
  if (!keys.has(key.toLowerCase()))
    return `${named}: the key is not one API Gateway provides to a Lambda authorizer's policy that Tollgate can establish`;
  const actual = keys.get(key.toLowerCase());

  if (op.toLowerCase() === 'null') {
    if (set || ifExists || expected.length !== 1 || !/^(true|false)$/i.test(expected[0]!))
      return `${named}: Null takes "true" or "false"`;
    return (actual === undefined) === (expected[0]!.toLowerCase() === 'true');
  }
  const operator = OPERATORS[op.toLowerCase()];
  if (!operator) return `${named}: the operator is not one Tollgate evaluates`;
  if (actual === undefined) {
    // IAM: a missing key fails a condition, except a negated one, ...IfExists, and ForAllValues (vacuously true).
    return ifExists || set === 'all' || (operator.negated && set === undefined);
  }
  const matchOne = (value: string): boolean | string => {
    const results = expected.map((e) => operator.compare(value, e));
    if (results.some((r) => r === undefined))
      return `${named}: a value cannot be compared (${expected.join(', ')})`;
    return results.some(Boolean);
  };
  const outcomes = actual.map(matchOne);
  const why = outcomes.find((o) => typeof o === 'string');
  if (why !== undefined) return why;
  const hits = outcomes as boolean[];
  if (set === 'all') return hits.every((h) => (operator.negated ? !h : h));
  if (set === 'any') return hits.some((h) => (operator.negated ? !h : h));
  return operator.negated ? !hits.some(Boolean) : hits.some(Boolean);
}

/** A statement's whole `Condition` element: every operator and every key must hold. */
export function evaluateCondition(condition: unknown, req: ConditionRequest): ConditionOutcome {
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition))
    return 'Condition is not an object';
  const keys = contextKeys(req);
  let unknown: string | undefined;
  for (const [operator, block] of Object.entries(condition)) {
    if (typeof block !== 'object' || block === null || Array.isArray(block))
      return `${operator}: is not an object of keys`;
    for (const [key, expected] of Object.entries(block)) {
      const outcome = evaluateKey(operator, key, expected, keys);
      // The keys are ANDed: one that fails decides, even beside one that cannot be evaluated.
      if (outcome === false) return false;
      if (typeof outcome === 'string') unknown ??= outcome;
    }
  }
  return unknown ?? true;
}
