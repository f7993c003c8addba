// API Gateway usage plans for a local REST API (spec section 9): which API keys exist, how fast
// each may call (token buckets, per key and per method), and how many calls a period allows
// (quotas). Pure: the caller passes the key and the route, and maps the answer to a response.
import type { ConfigIssue } from '../settings/file-validate.js';
import { formatKeyPath, type KeyPath } from '../core/key-path.js';
import type { Headers } from './events.js';

export type QuotaPeriod = 'DAY' | 'WEEK' | 'MONTH';

export interface ThrottleSettings {
  /** Steady-state requests per second: the bucket's refill rate. */
  readonly rateLimit: number;
  /** The bucket's size: how many requests may arrive at once after a quiet spell. */
  readonly burstLimit: number;
}

export interface QuotaSettings {
  readonly limit: number;
  readonly period: QuotaPeriod;
  /** Requests subtracted from the limit in the initial period only (the one the plan starts in). */
  readonly offset: number;
}

export interface ApiKey {
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
export class UsagePlanConfigError extends Error {
  readonly code = 'USAGE_PLANS_INVALID';
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map((i) => `${formatKeyPath(i.path)} ${i.message}`).join('\n'));
    this.name = 'UsagePlanConfigError';
  }
}

export interface ParseUsagePlansOptions {
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
  const known = options.methodKeys === undefined ? undefined : new Set(options.methodKeys);
  const issues: ConfigIssue[] = [];
  const issue = (path: KeyPath, message: string, atKey = false): void =>
    void issues.push({ path, message, ...(atKey ? { atKey } : {}) });
  if (!Array.isArray(value))
    return { ok: false, issues: [{ path: at, message: 'must be a list of usage plans' }] };

  const unknownKeys = (
    obj: Record<string, unknown>,
    path: KeyPath,
    allowed: readonly string[],
    what: string,
  ): void => {
    for (const k of Object.keys(obj))
      if (!allowed.includes(k))
        issue([...path, k], `is not a ${what} setting (expected ${allowed.join(', ')})`, true);
  };
  const throttle = (v: unknown, path: KeyPath): ThrottleSettings | undefined => {
    if (!isObject(v)) return void issue(path, 'must be an object with rateLimit and burstLimit');
    unknownKeys(v, path, THROTTLE_KEYS, 'throttle');
    const { rateLimit, burstLimit } = v;
    let ok = true;
    if (typeof rateLimit !== 'number' || !Number.isFinite(rateLimit) || rateLimit <= 0) {
      issue(
        [...path, 'rateLimit'],
        rateLimit === undefined
          ? 'is required: requests per second'
          : 'must be a positive number (requests per second)',
      );
      ok = false;
    }
    if (!isWhole(burstLimit) || burstLimit < 1) {
      issue(
        [...path, 'burstLimit'],
        burstLimit === undefined
          ? 'is required: the bucket size'
          : 'must be a positive whole number (the bucket size)',
      );
      ok = false;
    }
    return ok ? { rateLimit: rateLimit as number, burstLimit: burstLimit as number } : undefined;
  };
  const quota = (v: unknown, path: KeyPath): QuotaSettings | undefined => {
    if (!isObject(v)) return void issue(path, 'must be an object with limit and period');
    unknownKeys(v, path, QUOTA_KEYS, 'quota');
    const { limit, period, offset = 0 } = v;
    const limitOk = isWhole(limit) && limit >= 1;
    if (!limitOk)
      issue(
        [...path, 'limit'],
        limit === undefined
          ? 'is required: requests per period'
          : 'must be a positive whole number (requests per period)',
      );
    const periodOk = period === 'DAY' || period === 'WEEK' || period === 'MONTH';
    if (!periodOk)
      issue(
        [...path, 'period'],
        period === undefined
          ? 'is required: DAY, WEEK or MONTH'
          : `must be DAY, WEEK or MONTH, got ${JSON.stringify(period)}`,
      );
    const offsetOk = isWhole(offset) && offset >= 0 && (!limitOk || offset <= (limit as number));
    if (!offsetOk)
      issue(
        [...path, 'offset'],
        'must be a whole number from 0 to the limit (requests subtracted from the limit in the first period)',
      );
    return limitOk && periodOk && offsetOk
      ? { limit: limit as number, period: period as QuotaPeriod, offset: offset as number }
      : undefined;
  };

  const plans: UsagePlan[] = [];
  const planNames = new Map<string, number>();
  const keyValues = new Map<string, { plan: string; path: KeyPath }>();
  const keyNames = new Map<string, KeyPath>();
  value.forEach((raw, i) => {
    const path = [...at, i];
    if (!isObject(raw))
      return issue(path, 'must be an object with name, apiKeys and throttle or quota');
    unknownKeys(raw, path, PLAN_KEYS, 'usage plan');
    const name = raw.name;
    if (typeof name !== 'string' || !name.trim())
      issue([...path, 'name'], 'is required: a non-empty name');
    else if (planNames.has(name))
      issue(
        [...path, 'name'],
        `repeats the name of ${formatKeyPath([...at, planNames.get(name)!])}`,
      );
    else planNames.set(name, i);
    const planName = typeof name === 'string' ? name : `#${i}`;

    const planThrottle =
      raw.throttle === undefined ? undefined : throttle(raw.throttle, [...path, 'throttle']);
    const planQuota = raw.quota === undefined ? undefined : quota(raw.quota, [...path, 'quota']);
    const methods = new Map<string, ThrottleSettings>();
    if (raw.methods !== undefined) {
      if (!isObject(raw.methods))
        issue(
          [...path, 'methods'],
          'must map method keys such as "/pets/GET" to { rateLimit, burstLimit }',
        );
      else {
        for (const [key, settings] of Object.entries(raw.methods)) {
          const mpath = [...path, 'methods', key];
          if (!METHOD_KEY.test(key))
            issue(
              mpath,
              `is not a method key: API Gateway's form is /{resourcePath}/{httpMethod}, e.g. "/pets/GET" or "//GET" for the root`,
              true,
            );
          else if (known && !known.has(key)) issue(mpath, 'is not a method of the API', true);
          const t = throttle(settings, mpath);
          if (t) methods.set(key, t);
        }
      }
    }

    const apiKeys: ApiKey[] = [];
    if (raw.apiKeys !== undefined && !Array.isArray(raw.apiKeys))
      issue([...path, 'apiKeys'], 'must be a list of { name, value }');
    const rawKeys: unknown[] = Array.isArray(raw.apiKeys) ? raw.apiKeys : [];
    rawKeys.forEach((k, j) => {
      const kpath = [...path, 'apiKeys', j];
      if (!isObject(k)) return issue(kpath, 'must be an object with name and value');
      unknownKeys(k, kpath, API_KEY_KEYS, 'API key');
      let ok = true;
      if (typeof k.name !== 'string' || !k.name.trim() || k.name.length > 1024) {
        issue([...kpath, 'name'], 'is required: a non-empty name of at most 1024 characters');
        ok = false;
      } else if (keyNames.has(k.name)) {
        issue([...kpath, 'name'], `repeats the name of ${formatKeyPath(keyNames.get(k.name)!)}`);
        ok = false;
      }
      // The value itself never appears in a message: it is a credential.
      if (typeof k.value !== 'string' || !KEY_VALUE.test(k.value)) {
        issue(
          [...kpath, 'value'],
          'must be 20 to 128 printable characters without spaces, as API Gateway requires of key values',
        );
        ok = false;
      } else if (keyValues.has(k.value)) {
        const other = keyValues.get(k.value)!;
        issue(
          [...kpath, 'value'],
          other.plan === planName
            ? `repeats the value of ${formatKeyPath(other.path)}`
            : `is already a key of usage plan "${other.plan}" (${formatKeyPath(other.path)}): API Gateway allows a key in only one usage plan per stage`,
        );
        ok = false;
      }
      if (!ok) return;
      keyNames.set(k.name as string, kpath);
      keyValues.set(k.value as string, { plan: planName, path: kpath });
      apiKeys.push({ name: k.name as string, value: k.value as string });
    });
    plans.push({ name: planName, throttle: planThrottle, quota: planQuota, methods, apiKeys });
  });
  return issues.length ? { ok: false, issues } : { ok: true, plans };
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

export interface UsageRequest {
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

export interface UsagePlans {
  /** Decides one request and, when it passes, counts it against its buckets and its quota. */
  check(request: UsageRequest): UsageCheck;
}

export interface UsagePlansOptions {
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
  const weekStart = options.weekStart ?? 'SUNDAY';
  const createdAt = now();
  const keys = new Map<string, KeyEntry>();
  for (const plan of plans) for (const key of plan.apiKeys) keys.set(key.value, { key, plan });
  const keyBuckets = new Map<string, TokenBucket>();
  const methodBuckets = new Map<string, TokenBucket>();
  const usage = new Map<string, { period: number; used: number }>();

  const bucket = (
    store: Map<string, TokenBucket>,
    id: string,
    settings: ThrottleSettings,
    t: number,
  ): TokenBucket => {
    let b = store.get(id);
    if (b === undefined) store.set(id, (b = new TokenBucket(settings, t)));
    return b;
  };

  return {
    check(request) {
      const refuse = (
        response: 'INVALID_API_KEY' | 'THROTTLED' | 'QUOTA_EXCEEDED',
        detail: string,
        entry?: KeyEntry,
      ): UsageCheck => ({
        ok: false,
        response,
        detail,
        keyName: entry?.key.name,
        plan: entry?.plan.name,
      });
      if (!request.apiKey) return refuse('INVALID_API_KEY', 'the request has no API key');
      const entry = keys.get(request.apiKey);
      if (entry === undefined)
        return refuse('INVALID_API_KEY', 'the API key is not in any usage plan');
      const { plan, key } = entry;
      const t = now();

      let counter: { period: number; used: number } | undefined;
      let allowance = 0;
      if (plan.quota) {
        const { period, limit, offset } = plan.quota;
        const start = periodStart(t, period, weekStart);
        counter = usage.get(key.value);
        if (counter === undefined || counter.period !== start)
          usage.set(key.value, (counter = { period: start, used: 0 }));
        allowance = limit - (start === periodStart(createdAt, period, weekStart) ? offset : 0);
        if (counter.used >= allowance) {
          const resets = new Date(nextPeriod(start, period)).toISOString();
          return refuse(
            'QUOTA_EXCEEDED',
            `quota of ${allowance} requests per ${period} used up; it resets at ${resets}`,
            entry,
          );
        }
      }

      const buckets: TokenBucket[] = [];
      if (plan.throttle) buckets.push(bucket(keyBuckets, key.value, plan.throttle, t));
      const mkey = methodKey(request.resourcePath, request.httpMethod);
      const mkeyAny = methodKey(request.resourcePath, 'ANY');
      const override = plan.methods.has(mkey)
        ? mkey
        : plan.methods.has(mkeyAny)
          ? mkeyAny
          : undefined;
      // JSON keeps the key and the method apart in the map's key.
      if (override !== undefined)
        buckets.push(
          bucket(
            methodBuckets,
            JSON.stringify([key.value, override]),
            plan.methods.get(override)!,
            t,
          ),
        );
      // Every bucket is refilled before deciding, so none is charged for a refused request.
      const ready = buckets.map((b) => b.ready(t));
      const empty = ready.indexOf(false);
      if (empty >= 0) {
        const which =
          empty === 0 && plan.throttle
            ? `the key's rate (${plan.throttle.rateLimit}/s, burst ${plan.throttle.burstLimit})`
            : `the method ${override}'s rate`;
        return refuse('THROTTLED', `throttled by ${which}`, entry);
      }
      for (const b of buckets) b.take();
      if (counter) counter.used++;
      return {
        ok: true,
        keyName: key.name,
        plan: plan.name,
        quotaRemaining: counter ? allowance - counter.used : undefined,
      };
    },
  };
}
