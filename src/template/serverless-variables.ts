// The Serverless Framework's variables in serverless.yml, resolved as `serverless package` does
// before it compiles anything: `${self:a.b}`, `${opt:stage}`, `${sls:stage}`, `${env:NAME}`,
// `${file(./x.json):a.b}` (JSON or YAML read and walked; another file is its text),
// `${param:key}` (the service's own `stages.STAGE.params` or `params`), `${aws:region}`, with fallbacks after a comma (`${env:X, 'd'}`, `${opt:stage, self:provider.stage}`)
// and variables inside variables (`${file(./config.${opt:stage}.json):key}`). CloudFormation's own
// `${AWS::Region}` and `${Res.Arn}` (Fn::Sub) are left as they are, as the framework leaves them.
// A variable with no value and no fallback is a TemplateIssue at its key: the framework stops too.
import type { KeyPath } from '../core/key-path.js';
import { TemplateIssue } from './issue.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface VariableSources {
  /** `--stage` (opt:stage); other options are not given locally. */
  readonly options: Readonly<Record<string, string>>;
  /** `--param key=value`: the framework's CLI parameters, found before the service's `params`. */
  readonly params?: Readonly<Record<string, string>>;
  /** The stage the service is served at (sls:stage). */
  readonly stage: () => string;
  readonly region: string;
  readonly account: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A file's text relative to the service folder; undefined when it cannot be read. */
  readonly readFile: (path: string) => string | undefined;
  /** Parses a .json/.yml/.yaml file's text. */
  readonly parse: (text: string, path: string) => unknown;
  /** Sources that exist only in AWS (ssm, cf, s3...) and answered by their fallback. */
  readonly warn: (path: KeyPath, message: string) => void;
}

/** The innermost `${...}`: no braces inside. */
const INNERMOST = /\$\{([^{}]*)\}/g;
/** A framework variable starts with a lower-case source name: `self:`, `env:`, `file(`. */
const FRAMEWORK = /^\s*[a-z][A-Za-z0-9]*\s*(?:\(|:)/;
const REMOTE = new Set(['ssm', 'cf', 's3', 'secretsmanager', 'terraform', 'vault']);
const MISSING = Symbol('missing');

export class VariableResolver {
  private readonly resolving = new Set<string>();
  private readonly done = new Map<string, unknown>();

  constructor(
    private readonly config: Obj,
    private readonly sources: VariableSources,
  ) {}

  /** The whole configuration with every variable replaced. */
  resolveAll(): Obj {
    return this.deep(this.config, []) as Obj;
  }

  /** A value at a key path of the raw configuration, resolved (cached; a cycle is an issue). */
  at(path: KeyPath): unknown {
    const key = JSON.stringify(path);
    if (this.done.has(key)) return this.done.get(key);
    if (this.resolving.has(key))
      throw new TemplateIssue(path, 'refers to itself through ${self:...} variables');
    this.resolving.add(key);
    let value: unknown = this.config;
    for (let i = 0; i < path.length; i++) {
      // A variable that gives a mapping (`${file(./x.json)}`) is resolved before it is walked.
      if (typeof value === 'string') value = this.at(path.slice(0, i));
      // Own members only: `${self:constructor}` or `${param:toString}` names nothing the file wrote.
      value =
        (isObj(value) || Array.isArray(value)) && Object.hasOwn(value, path[i]!)
          ? (value as Record<string | number, unknown>)[path[i]!]
          : undefined;
    }
    const out = path.length === 0 ? value : this.deep(value, path);
    this.resolving.delete(key);
    this.done.set(key, out);
    return out;
  }

  /** Strings resolved; a container's members through `at`, so each is resolved once. */
  private deep(value: unknown, path: KeyPath): unknown {
    if (typeof value === 'string') return this.text(value, path);
    if (Array.isArray(value)) return value.map((_, i) => this.at([...path, i]));
    if (isObj(value))
      return Object.fromEntries(Object.keys(value).map((k) => [k, this.at([...path, k])]));
    return value;
  }

  /** A string: innermost variables first, until none is left; a lone variable keeps its type. */
  private text(input: string, path: KeyPath): unknown {
    let text = input;
    for (let round = 0; round < 50; round++) {
      const whole = /^\$\{([^{}]*)\}$/.exec(text);
      if (whole && FRAMEWORK.test(whole[1]!)) return this.variable(whole[1]!, path);
      let changed = false;
      text = text.replace(INNERMOST, (match, body: string) => {
        if (!FRAMEWORK.test(body)) return match;
        changed = true;
        const value = this.variable(body, path);
        if (isObj(value) || Array.isArray(value))
          throw new TemplateIssue(
            path,
            `\${${body.trim()}} is a mapping or list, which cannot be part of a string`,
          );
        return String(value);
      });
      if (!changed) return text;
    }
    throw new TemplateIssue(path, 'has variables nested too deeply (50 rounds)');
  }

  /** `source:address, fallback, ...`: the first that has a value. */
  private variable(body: string, path: KeyPath): unknown {
    const [first, ...fallbacks] = splitTopLevel(body);
    const value = this.source(first!, path, fallbacks.length > 0);
    if (value !== MISSING) return value;
    for (const fallback of fallbacks) {
      const literal = literalOf(fallback);
      if (literal !== MISSING) return literal;
      const v = this.source(fallback, path, true);
      if (v !== MISSING) return v;
    }
    throw new TemplateIssue(path, `\${${body.trim()}} has no value ${missingHint(first!)}`);
  }

  private source(expression: string, path: KeyPath, hasFallback: boolean): unknown {
    const m = /^\s*([a-zA-Z][A-Za-z0-9]*)(?:\(([^)]*)\))?\s*(?::(.*))?$/.exec(expression);
    if (!m)
      throw new TemplateIssue(path, `\${${expression.trim()}} is not a variable of the framework`);
    const [, name, param, rawAddress] = m;
    const address = (rawAddress ?? '').trim();
    switch (name) {
      case 'self':
        return orMissing(this.self(address));
      case 'opt':
        return orMissing(this.sources.options[address]);
      case 'env':
        return orMissing(this.sources.env[address]);
      case 'sls':
        return address === 'stage'
          ? this.sources.stage()
          : address === 'instanceId'
            ? 'local'
            : MISSING;
      case 'aws':
        return address === 'region'
          ? this.sources.region
          : address === 'accountId'
            ? this.sources.account
            : MISSING;
      case 'file':
        return this.file((param ?? '').trim(), address, path);
      case 'param':
        return this.param(address);
      default:
        if (REMOTE.has(name!) && hasFallback) {
          this.sources.warn(
            path,
            `\${${expression.trim()}} is read from AWS when deployed; locally its fallback is used`,
          );
          return MISSING;
        }
        throw new TemplateIssue(
          path,
          REMOTE.has(name!)
            ? `\${${expression.trim()}} is read from AWS when deployed and is not fetched locally: give its local value as a fallback, from the environment (\${${expression.trim()}, env:NAME}) or written out (\${${expression.trim()}, 'value'})`
            : `\${${expression.trim()}}: the ${name} source is not supported locally (self, opt, sls, env, file, param, aws are)`,
        );
    }
  }

  /**
   * `${param:key}`: `--param`, then v4's `stages` (the stage's `params`, then `default`'s), then
   * the older `params` (the stage, then `default`). Serverless v4's docs call `stages` the
   * preferred form and give no order between the two; this one reads `stages` wholly first.
   */
  private param(address: string): unknown {
    const given = this.sources.params;
    if (given !== undefined && Object.hasOwn(given, address)) return given[address];
    const stage = this.sources.stage();
    for (const path of [
      ['stages', stage, 'params', address],
      ['stages', 'default', 'params', address],
      ['params', stage, address],
      ['params', 'default', address],
    ]) {
      const value = this.at(path);
      if (value !== undefined) return value;
    }
    return MISSING;
  }

  private self(address: string): unknown {
    const keys = address ? address.split('.') : [];
    return this.at(keys.map((k) => (/^\d+$/.test(k) ? Number(k) : k)));
  }

  private file(location: string, address: string, path: KeyPath): unknown {
    const file = location.replace(/^['"]|['"]$/g, '');
    if (/\.(c|m)?[jt]s$/.test(file))
      throw new TemplateIssue(
        path,
        `\${file(${file})}: JavaScript variable files are not run locally (JSON, YAML and text files are read)`,
      );
    const text = this.sources.readFile(file);
    if (text === undefined) return MISSING;
    const structured = /\.(json|ya?ml)$/.test(file);
    let value: unknown = text;
    if (structured) {
      try {
        value = this.sources.parse(text, file);
      } catch (error) {
        throw new TemplateIssue(path, `\${file(${file})}: ${(error as Error).message}`);
      }
    }
    if (!address) return value;
    if (!structured)
      throw new TemplateIssue(path, `\${file(${file}):${address}}: a text file has no keys`);
    for (const key of address.split('.')) {
      if (!isObj(value) && !Array.isArray(value)) return MISSING;
      value = (value as Record<string, unknown>)[key];
    }
    return orMissing(value);
  }
}

const orMissing = (v: unknown): unknown => (v === undefined || v === null ? MISSING : v);

/** Splits on commas outside quotes and parentheses. */
function splitTopLevel(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let current = '';
  for (const ch of body) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  out.push(current);
  return out;
}

/** A fallback written as a value: 'text', "text", a number, true, false or null. */
function literalOf(text: string): unknown {
  const t = text.trim();
  const quoted = /^'(.*)'$|^"(.*)"$/.exec(t);
  if (quoted) return quoted[1] ?? quoted[2];
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null') return null;
  return MISSING;
}

function missingHint(expression: string): string {
  const e = expression.trim();
  if (e.startsWith('env:')) return `(${e.slice(4)} is not set; give a fallback: \${${e}, 'value'})`;
  if (e.startsWith('opt:')) return `(give --${e.slice(4)} or a fallback: \${${e}, 'value'})`;
  if (e.startsWith('file(')) return '(the file cannot be read, or has no such key)';
  if (e.startsWith('param:'))
    return `(give --param ${e.slice(6).trim()}=VALUE, or set it under stages.STAGE.params, stages.default.params, params.STAGE or params.default in serverless.yml; parameters of the Serverless Dashboard are not fetched)`;
  return '(no such key)';
}
