// API Gateway usage plans for a local REST API (spec section 9): which API keys exist, how fast
// each may call (token buckets, per key and per method), and how many calls a period allows
// (quotas). Pure: the caller passes the key and the route, and maps the answer to a response.
import type { ConfigIssue } from '../settings/file-validate.js';
import { formatKeyPath, type KeyPath } from '../core/key-path.js';
import type { Headers } from './events.js';
import { TollgateError } from '../core/errors.js';

type QuotaPeriod = 'DAY' | 'WEEK' | 'MONTH';

interface ThrottleSettings {
  /** Steady-state requests per second: the bucket's refill rate. */
  readonly rateLimit: number;
  /** The bucket's size: how many requests may arrive at once after a quiet spell. */
  readonly burstLimit: number;
}

interface QuotaSettings {
  readonly limit: number;
  readonly period: QuotaPeriod;
  /** Requests subtracted from the limit in the initial period only (the one the plan starts in). */
  readonly offset: number;
}

interface ApiKey {
  readonly name: string;
  readonly value: string;
}

export interface UsagePlan {
  readonly name: string;
  readonly throttle: ThrottleSettings | undefined;
  readonly quota: QuotaSettings | undefined;
  /** Per-method throttles by API Gateway's key, `/{resourcePath}/{httpMethod}` (`/pets/GET`, the root `//GET`). */
  readonly methods: ReadonlyMap<string, ThrottleSettings>;
  readonly apiKeys: readonly ApiKey[];
}

/** The usage-plan configuration is invalid; `issues` holds every problem, each with its key path. */
export class UsagePlanConfigError extends TollgateError<'USAGE_PLANS_INVALID'> {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(
      'USAGE_PLANS_INVALID',
      issues.map((i) => `${formatKeyPath(i.path)} ${i.message}`).join('\n'),
    );
    this.name = 'UsagePlanConfigError';
  }
}

interface ParseUsagePlansOptions {
  /** Where the list sits in the config document, for messages; default `serve.usagePlans`. */
  readonly at?: KeyPath;
  /**
   * The API's method keys (see methodKey); when given, a per-method throttle for a method the API
   * does not have is an error rather than a setting that silently never applies.
   */
  readonly methodKeys?: Iterable<string>;
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'];
// `/pets/GET`, `/pets/{petId}/DELETE`, and the root resource `//GET`.
const METHOD_KEY = new RegExp(`^(?:/|(?:/[^/]+)+)/(?:${HTTP_METHODS.join('|')})$`);
// AWS refuses values outside 20-128 characters ("API Key value should be at least 20 characters").
// Its guide calls keys alphanumeric; printable ASCII without spaces is accepted here, the characters
// a header can carry unchanged.
const KEY_VALUE = /^[\x21-\x7e]{20,128}$/;
const PLAN_KEYS = ['name', 'throttle', 'quota', 'methods', 'apiKeys'];
const THROTTLE_KEYS = ['rateLimit', 'burstLimit'];
const QUOTA_KEYS = ['limit', 'period', 'offset'];
const API_KEY_KEYS = ['name', 'value'];

/** API Gateway's key for a method in a usage plan's per-method throttles. */
export function methodKey(resourcePath: string, httpMethod: string): string {
  return `${resourcePath}/${httpMethod.toUpperCase()}`;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isWhole = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** One validation's state: the problems found, and what later plans and keys must not repeat. */
interface Checking {
  readonly at: KeyPath;
  /** The API's method keys, when known. */
  readonly known: ReadonlySet<string> | undefined;
  readonly issues: ConfigIssue[];
  readonly planNames: Map<string, number>;
  readonly keyValues: Map<string, { plan: string; path: KeyPath }>;
  readonly keyNames: Map<string, KeyPath>;
}

function issue(c: Checking, path: KeyPath, message: string, atKey = false): void {
  c.issues.push({ path, message, ...(atKey ? { atKey } : {}) });
}

/**
 * Reads usage plans from plain values (parsed YAML or JSON), enforcing API Gateway's rules: a key
 * value of 20 to 128 characters, a key in one usage plan only (AWS refuses a key in two plans of
 * the same stage, and the local gateway has one stage), per-method keys in AWS's format.
 * Returns every problem found, each with its key path, or the plans.
 */
export function validateUsagePlans(
  value: unknown,
  options: ParseUsagePlansOptions = {},
): { ok: true; plans: UsagePlan[] } | { ok: false; issues: ConfigIssue[] } {
  const at = options.at ?? ['serve', 'usagePlans'];
  if (!Array.isArray(value))
    return { ok: false, issues: [{ path: at, message: 'must be a list of usage plans' }] };
  const c: Checking = {
    at,
    known: options.methodKeys === undefined ? undefined : new Set(options.methodKeys),
    issues: [],
    planNames: new Map(),
    keyValues: new Map(),
    keyNames: new Map(),
  };
  const plans: UsagePlan[] = [];
  value.forEach((raw, i) => {
    const plan = readPlan(c, raw, i);
    if (plan) plans.push(plan);
  });
  return c.issues.length ? { ok: false, issues: c.issues } : { ok: true, plans };
}

function unknownKeys(
  c: Checking,
  obj: Record<string, unknown>,
  path: KeyPath,
  allowed: readonly string[],
  what: string,
): void {
  for (const k of Object.keys(obj))
    if (!allowed.includes(k))
      issue(c, [...path, k], `is not a ${what} setting (expected ${allowed.join(', ')})`, true);
}

function readPlan(c: Checking, raw: unknown, i: number): UsagePlan | undefined {
  const path = [...c.at, i];
  if (!isObject(raw))
    return void issue(c, path, 'must be an object with name, apiKeys and throttle or quota');
  unknownKeys(c, raw, path, PLAN_KEYS, 'usage plan');
  const name = raw.name;
  if (typeof name !== 'string' || !name.trim())
    issue(c, [...path, 'name'], 'is required: a non-empty name');
  else if (c.planNames.has(name))
    issue(
      c,
      [...path, 'name'],
      `repeats the name of ${formatKeyPath([...c.at, c.planNames.get(name)!])}`,
    );
  else c.planNames.set(name, i);
  const planName = typeof name === 'string' ? name : `#${i}`;
  const throttle =
    raw.throttle === undefined ? undefined : readThrottle(c, raw.throttle, [...path, 'throttle']);
  const quota = raw.quota === undefined ? undefined : readQuota(c, raw.quota, [...path, 'quota']);
  const methods = readMethods(c, raw.methods, [...path, 'methods']);
  const apiKeys = readApiKeys(c, raw.apiKeys, [...path, 'apiKeys'], planName);
  return { name: planName, throttle, quota, methods, apiKeys };
}

function readThrottle(c: Checking, v: unknown, path: KeyPath): ThrottleSettings | undefined {
  if (!isObject(v)) return void issue(c, path, 'must be an object with rateLimit and burstLimit');
  unknownKeys(c, v, path, THROTTLE_KEYS, 'throttle');
  const { rateLimit, burstLimit } = v;
  let ok = true;
  if (typeof rateLimit !== 'number' || !Number.isFinite(rateLimit) || rateLimit <= 0) {
    issue(
      c,
      [...path, 'rateLimit'],
      rateLimit === undefined
        ? 'is required: requests per second'
        : 'must be a positive number (requests per second)',
    );
    ok = false;
  }
  if (!isWhole(burstLimit) || burstLimit < 1) {
    issue(
      c,
      [...path, 'burstLimit'],
      burstLimit === undefined
        ? 'is required: the bucket size'
        : 'must be a positive whole number (the bucket size)',
    );
    ok = false;
  }
  return ok ? { rateLimit: rateLimit as number, burstLimit: burstLimit as number } : undefined;
}

function readQuota(c: Checking, v: unknown, path: KeyPath): QuotaSettings | undefined {
  if (!isObject(v)) return void issue(c, path, 'must be an object with limit and period');
  unknownKeys(c, v, path, QUOTA_KEYS, 'quota');
  const { limit, period, offset = 0 } = v;
  const limitOk = isWhole(limit) && limit >= 1;
  if (!limitOk)
    issue(
      c,
      [...path, 'limit'],
      limit === undefined
        ? 'is required: requests per period'
        : 'must be a positive whole number (requests per period)',
    );
  const periodOk = period === 'DAY' || period === 'WEEK' || period === 'MONTH';
  if (!periodOk)
    issue(
      c,
      [...path, 'period'],
      period === undefined
        ? 'is required: DAY, WEEK or MONTH'
        : `must be DAY, WEEK or MONTH, got ${JSON.stringify(period)}`,
    );
  const offsetOk = isWhole(offset) && offset >= 0 && (!limitOk || offset <= (limit as number));
  if (!offsetOk)
    issue(
      c,
      [...path, 'offset'],
      'must be a whole number from 0 to the limit (requests subtracted from the limit in the first period)',
    );
  return limitOk && periodOk && offsetOk
    ? { limit: limit as number, period: period as QuotaPeriod, offset: offset as number }
    : undefined;
}

/** Per-method throttles, by API Gateway's method keys (of the API's methods, when known). */
function readMethods(c: Checking, v: unknown, path: KeyPath): Map<string, ThrottleSettings> {
  const methods = new Map<string, ThrottleSettings>();
  if (v === undefined) return methods;
  if (!isObject(v)) {
    issue(c, path, 'must map method keys such as "/pets/GET" to { rateLimit, burstLimit }');
    return methods;
  }
  for (const [key, settings] of Object.entries(v)) {
    const mpath = [...path, key];
    if (!METHOD_KEY.test(key))
      issue(
        c,
        mpath,
        `is not a method key: API Gateway's form is /{resourcePath}/{httpMethod}, e.g. "/pets/GET" or "//GET" for the root`,
        true,
      );
    else if (c.known && !c.known.has(key)) issue(c, mpath, 'is not a method of the API', true);
    const t = readThrottle(c, settings, mpath);
    if (t) methods.set(key, t);
  }
  return methods;
}

function readApiKeys(c: Checking, v: unknown, path: KeyPath, planName: string): ApiKey[] {
  if (v !== undefined && !Array.isArray(v)) issue(c, path, 'must be a list of { name, value }');
  const apiKeys: ApiKey[] = [];
  const rawKeys: unknown[] = Array.isArray(v) ? v : [];
  rawKeys.forEach((k, j) => {
    const key = readApiKey(c, k, [...path, j], planName);
    if (key) apiKeys.push(key);
  });
  return apiKeys;
}

/** A key with a name and a value used nowhere else, in this plan or another. */
function readApiKey(c: Checking, k: unknown, kpath: KeyPath, planName: string): ApiKey | undefined {
  if (!isObject(k)) return void issue(c, kpath, 'must be an object with name and value');
  unknownKeys(c, k, kpath, API_KEY_KEYS, 'API key');
  let ok = true;
  if (typeof k.name !== 'string' || !k.name.trim() || k.name.length > 1024) {
    issue(c, [...kpath, 'name'], 'is required: a non-empty name of at most 1024 characters');
    ok = false;
  } else if (c.keyNames.has(k.name)) {
    issue(c, [...kpath, 'name'], `repeats the name of ${formatKeyPath(c.keyNames.get(k.name)!)}`);
    ok = false;
  }
  // The value itself never appears in a message: it is a credential.
  if (typeof k.value !== 'string' || !KEY_VALUE.test(k.value)) {
    issue(
      c,
      [...kpath, 'value'],
      'must be 20 to 128 printable characters without spaces, as API Gateway requires of key values',
    );
    ok = false;
  } else if (c.keyValues.has(k.value)) {
    const other = c.keyValues.get(k.value)!;
    issue(
      c,
      [...kpath, 'value'],
      other.plan === planName
        ? `repeats the value of ${formatKeyPath(other.path)}`
        : `is already a key of usage plan "${other.plan}" (${formatKeyPath(other.path)}): API Gateway allows a key in only one usage plan per stage`,
    );
    ok = false;
  }
  if (!ok) return undefined;
  c.keyNames.set(k.name as string, kpath);
  c.keyValues.set(k.value as string, { plan: planName, path: kpath });
  return { name: k.name as string, value: k.value as string };
}

/** validateUsagePlans that throws UsagePlanConfigError (every problem, one per line). */
export function parseUsagePlans(value: unknown, options: ParseUsagePlansOptions = {}): UsagePlan[] {
  const result = validateUsagePlans(value, options);
  if (!result.ok) throw new UsagePlanConfigError(result.issues);
  return result.plans;
}

/**
 * Where the API key comes from (`x-amazon-apigateway-api-key-source`, spec section 9): `HEADER`
 * reads `x-api-key` (any case); `AUTHORIZER` takes the authorizer's `usageIdentifierKey`. Several
 * different header values are a malformed request, not a choice: no key.
 */
export function apiKeyFor(
  source: 'HEADER' | 'AUTHORIZER',
  headers: Headers,
  usageIdentifierKey?: string,
): string | undefined {
  if (source === 'AUTHORIZER') return usageIdentifierKey || undefined;
  const values = new Set<string>();
  for (const [name, v] of Object.entries(headers)) {
    if (name.toLowerCase() !== 'x-api-key' || v === undefined) continue;
    for (const one of typeof v === 'string' ? [v] : v) values.add(one);
  }
  const [only] = values;
  return values.size === 1 && only ? only : undefined;
}

interface UsageRequest {
  /** The key as apiKeyFor read it; undefined when the request has none. */
  readonly apiKey: string | undefined;
  /** The resource template, e.g. `/pets/{petId}`. */
  readonly resourcePath: string;
  /** The method as the API defines it (`GET`, or `ANY` for an ANY method). */
  readonly httpMethod: string;
}

export type UsageCheck =
  | {
      readonly ok: true;
      readonly keyName: string;
      readonly plan: string;
      readonly quotaRemaining: number | undefined;
    }
  | {
      readonly ok: false;
      /** A GATEWAY_RESPONSES type: 403 Forbidden, 429 Too Many Requests, 429 Limit Exceeded. */
      readonly response: 'INVALID_API_KEY' | 'THROTTLED' | 'QUOTA_EXCEEDED';
      /** For the log; never contains the key's value. */
      readonly detail: string;
      readonly keyName: string | undefined;
      readonly plan: string | undefined;
    };

interface UsagePlans {
  /** Decides one request and, when it passes, counts it against its buckets and its quota. */
  check(request: UsageRequest): UsageCheck;
}

interface UsagePlansOptions {
  /** Milliseconds since the epoch; tests move a fake clock instead of waiting. */
  readonly now?: () => number;
  /**
   * The day WEEK quotas reset, at 00:00 UTC. AWS documents no week boundary; an older API
   * reference described the offset as a weekday with "an offset of 0 starts on Sunday", so Sunday
   * is the default here.
   */
  readonly weekStart?: 'SUNDAY' | 'MONDAY';
}

const DAY_MS = 86_400_000;

/** The UTC start of the quota period holding `ms`: midnight UTC; the week's first day; the 1st of the month. */
export function periodStart(
  ms: number,
  period: QuotaPeriod,
  weekStart: 'SUNDAY' | 'MONDAY' = 'SUNDAY',
): number {
  const d = new Date(ms);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (period === 'DAY') return day;
  if (period === 'MONTH') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const first = weekStart === 'SUNDAY' ? 0 : 1;
  return day - ((d.getUTCDay() - first + 7) % 7) * DAY_MS;
}

function nextPeriod(start: number, period: QuotaPeriod): number {
  if (period === 'DAY') return start + DAY_MS;
  if (period === 'WEEK') return start + 7 * DAY_MS;
  const d = new Date(start);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** A token bucket refilled continuously: `burstLimit` tokens at most, `rateLimit` more per second. */
class TokenBucket {
  private tokens: number;
  private updatedAt: number;
  constructor(
    private readonly settings: ThrottleSettings,
    now: number,
  ) {
    this.tokens = settings.burstLimit;
    this.updatedAt = now;
  }
  /** Whether a request may pass now; refills first. A clock that steps back refills nothing. */
  ready(now: number): boolean {
    if (now > this.updatedAt) {
      this.tokens = Math.min(
        this.settings.burstLimit,
        this.tokens + ((now - this.updatedAt) * this.settings.rateLimit) / 1000,
      );
      this.updatedAt = now;
    }
    // Tolerance for the float sum of many small refills (0.1 + 0.2 style drift).
    return this.tokens >= 1 - 1e-9;
  }
  take(): void {
    this.tokens = Math.max(0, this.tokens - 1);
  }
}

interface KeyEntry {
  readonly key: ApiKey;
  readonly plan: UsagePlan;
}

/**
 * The usage plans at run time. Order of the checks: the key (403 when missing or unknown), the
 * quota (429 Limit Exceeded), then the throttles (429 Too Many Requests): the key's own bucket,
 * shared by all its methods, and the method's bucket when the plan overrides that method; a
 * request needs a token from both. Refused requests consume neither tokens nor quota. Quotas count
 * per key in UTC periods; the offset lowers the limit of the period the plans were created in.
 *
 * @example
 * const usage = createUsagePlans(parseUsagePlans(config.serve.usagePlans), { now });
 * const verdict = usage.check({ apiKey: apiKeyFor('HEADER', req.headers), resourcePath: '/pets/{petId}', httpMethod: 'GET' });
 * if (!verdict.ok) return gatewayResponse(verdict.response, requestId); // 403 or 429
 */
export function createUsagePlans(
  plans: readonly UsagePlan[],
  options: UsagePlansOptions = {},
): UsagePlans {
  const now = options.now ?? Date.now;
  const keys = new Map<string, KeyEntry>();
  for (const plan of plans) for (const key of plan.apiKeys) keys.set(key.value, { key, plan });
  const state: UsageState = {
    now,
    weekStart: options.weekStart ?? 'SUNDAY',
    createdAt: now(),
    keys,
    keyBuckets: new Map(),
    methodBuckets: new Map(),
    usage: new Map(),
  };
  return { check: (request) => checkUsage(state, request) };
}

/** The usage plans' keys, and the buckets and quota counters they have used so far. */
interface UsageState {
  readonly now: () => number;
  readonly weekStart: 'SUNDAY' | 'MONDAY';
  /** When the plans were created: the offset lowers the limit of that period only. */
  readonly createdAt: number;
  /** By key value. */
  readonly keys: ReadonlyMap<string, KeyEntry>;
  readonly keyBuckets: Map<string, TokenBucket>;
  readonly methodBuckets: Map<string, TokenBucket>;
  readonly usage: Map<string, QuotaCounter>;
}

interface QuotaCounter {
  readonly period: number;
  used: number;
}

type Refusal = Extract<UsageCheck, { ok: false }>;

function refuse(response: Refusal['response'], detail: string, entry?: KeyEntry): Refusal {
  return { ok: false, response, detail, keyName: entry?.key.name, plan: entry?.plan.name };
}

function checkUsage(s: UsageState, request: UsageRequest): UsageCheck {
  if (!request.apiKey) return refuse('INVALID_API_KEY', 'the request has no API key');
  const entry = s.keys.get(request.apiKey);
  if (entry === undefined) return refuse('INVALID_API_KEY', 'the API key is not in any usage plan');
  const { plan, key } = entry;
  const t = s.now();
  const quota = quotaLeft(s, entry, t);
  if (quota?.refusal) return quota.refusal;
  const throttled = takeTokens(s, entry, request, t);
  if (throttled) return throttled;
  if (quota) quota.counter.used++;
  return {
    ok: true,
    keyName: key.name,
    plan: plan.name,
    quotaRemaining: quota ? quota.allowance - quota.counter.used : undefined,
  };
}

/** The key's counter for the current period (a new period starts at 0) and what it allows. */
function quotaLeft(
  s: UsageState,
  entry: KeyEntry,
  t: number,
): { counter: QuotaCounter; allowance: number; refusal?: Refusal } | undefined {
  const { plan, key } = entry;
  if (!plan.quota) return undefined;
  const { period, limit, offset } = plan.quota;
  const start = periodStart(t, period, s.weekStart);
  let counter = s.usage.get(key.value);
  if (counter === undefined || counter.period !== start)
    s.usage.set(key.value, (counter = { period: start, used: 0 }));
  const allowance = limit - (start === periodStart(s.createdAt, period, s.weekStart) ? offset : 0);
  if (counter.used < allowance) return { counter, allowance };
  const resets = new Date(nextPeriod(start, period)).toISOString();
  const detail = `quota of ${allowance} requests per ${period} used up; it resets at ${resets}`;
  return { counter, allowance, refusal: refuse('QUOTA_EXCEEDED', detail, entry) };
}

function bucket(
  store: Map<string, TokenBucket>,
  id: string,
  settings: ThrottleSettings,
  t: number,
): TokenBucket {
  let b = store.get(id);
  if (b === undefined) store.set(id, (b = new TokenBucket(settings, t)));
  return b;
}

/** A token from the key's bucket and the method's (when the plan overrides it), or the refusal. */
function takeTokens(
  s: UsageState,
  entry: KeyEntry,
  request: UsageRequest,
  t: number,
): Refusal | undefined {
  const { plan, key } = entry;
  const buckets: TokenBucket[] = [];
  if (plan.throttle) buckets.push(bucket(s.keyBuckets, key.value, plan.throttle, t));
  const mkey = methodKey(request.resourcePath, request.httpMethod);
  const mkeyAny = methodKey(request.resourcePath, 'ANY');
  const override = plan.methods.has(mkey) ? mkey : plan.methods.has(mkeyAny) ? mkeyAny : undefined;
  // JSON keeps the key and the method apart in the map's key.
  if (override !== undefined) {
    const id = JSON.stringify([key.value, override]);
    buckets.push(bucket(s.methodBuckets, id, plan.methods.get(override)!, t));
  }
  // Every bucket is refilled before deciding, so none is charged for a refused request.
  const ready = buckets.map((b) => b.ready(t));
  const empty = ready.indexOf(false);
  if (empty < 0) {
    for (const b of buckets) b.take();
    return undefined;
  }
  const which =
    empty === 0 && plan.throttle
      ? `the key's rate (${plan.throttle.rateLimit}/s, burst ${plan.throttle.burstLimit})`
      : `the method ${override}'s rate`;
  return refuse('THROTTLED', `throttled by ${which}`, entry);
}
