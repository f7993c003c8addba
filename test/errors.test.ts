// One error base class with a stable code, one boundary per surface, and the README's errors
// table: every error class extends TollgateError, every code has a row, and the Lambda handler,
// the gateway and the CLI answer each code as the table says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './support/paths.js';
import { EXIT, isTollgateError, TollgateError, UsageError } from '../src/core/errors.js';
import type { TollgateErrorCode } from '../src/core/errors.js';
import { ERROR_CODES, errorsTable } from '../src/core/error-codes.js';
import { KeySourceError } from '../src/core/key-source.js';
import { PatternRefused } from '../src/core/rules-regex-parse.js';
import { AuthorizerFailure } from '../src/aws/authorizer-failure.js';
import { EventShapeError, ResultError } from '../src/aws/shapes/index.js';
import { TokenSourceError } from '../src/aws/token-source.js';
import { HttpGetError } from '../src/keys/http-get.js';
import { ConfigError } from '../src/settings/env.js';
import { DevProviderError } from '../src/idp/errors.js';
import { ApiDocumentError } from '../src/gateway/openapi.js';
import { ExportError } from '../src/gateway/export.js';
import { JsonPathError } from '../src/gateway/jsonpath.js';
import { RuntimeError } from '../src/gateway/lambda-runtime.js';
import { BodyNotJson } from '../src/gateway/mapping-templates.js';
import { BodyRefused } from '../src/gateway/request-body.js';
import { UsagePlanConfigError } from '../src/gateway/usage-plans.js';
import { WebSocketConfigError } from '../src/gateway/websocket-events.js';
import { ERROR_RESPONSES, errorResponse } from '../src/gateway/error-responses.js';
import { GATEWAY_RESPONSES } from '../src/gateway/responses.js';
import { PageConfigError } from '../src/web/page-config.js';
import { exitForError } from '../src/cli/main.js';
import { createHandler } from '../src/lambda/handler.js';
import { singleIssuerAuthorizer } from '../src/lambda/authorizer.js';
import type { Verifier } from '../src/core/verifier.js';
import { testRuntime } from './support/verifier.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

test('no class in src/ extends Error or a built-in error but TollgateError itself', () => {
  const found: string[] = [];
  for (const file of sourceFiles(repoPath('src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/class (\w+)(?:<[^>{]*>)? extends (\w*Error)\b/g))
      if (!['TollgateError'].includes(m[2]!) || !/^[A-Z]/.test(m[1]!))
        found.push(`${file.slice(repoPath('src').length + 1)}: ${m[1]} extends ${m[2]}`);
  }
  assert.deepEqual(found, ['core/errors.ts: TollgateError extends Error']);
  // Nor is anything thrown that is not an error (a plain class caught a few lines up).
  const all = sourceFiles(repoPath('src')).map((f) => readFileSync(f, 'utf8'));
  const plain = all.flatMap((t) =>
    [...t.matchAll(/^(?:export )?class (\w+) \{/gm)].map((m) => m[1]!),
  );
  const thrown = plain.filter((name) => all.some((t) => t.includes(`throw new ${name}(`)));
  assert.deepEqual(thrown, []);
  // The scan sees subclasses too: at least the 22 error classes the redesign started from.
  const subclasses = sourceFiles(repoPath('src'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n')
    .match(/extends TollgateError\b/g);
  assert.ok(subclasses && subclasses.length >= 21, `${subclasses?.length} subclasses`);
});

test('every error class is a TollgateError with a code of the table, and its message as before', () => {
  const cases: [TollgateError, TollgateErrorCode, string][] = [
    [new UsageError('bad flag'), 'USAGE', 'bad flag'],
    [new KeySourceError('JWKS_INVALID', 'not a key set'), 'JWKS_INVALID', 'not a key set'],
    [new PatternRefused('has a backreference'), 'PATTERN_REFUSED', 'has a backreference'],
    [
      new AuthorizerFailure('JWKS_UNAVAILABLE'),
      'JWKS_UNAVAILABLE',
      'Authorizer failure: JWKS_UNAVAILABLE',
    ],
    [
      new AuthorizerFailure('SOMETHING_ELSE'),
      'INTERNAL_ERROR',
      'Authorizer failure: SOMETHING_ELSE',
    ],
    [
      new EventShapeError('rest-token'),
      'EVENT_SHAPE_MISMATCH',
      'The event is not a rest-token authorizer event',
    ],
    [new ResultError('NO_STATEMENTS', 'none'), 'NO_STATEMENTS', 'none'],
    [
      new TokenSourceError('query:', 'no name'),
      'TOKEN_SOURCE_INVALID',
      'Invalid token source "query:": no name',
    ],
    [new HttpGetError('HTTP_TIMEOUT', 'no answer'), 'HTTP_TIMEOUT', 'no answer'],
    [
      new ConfigError('AUDIENCE', 'is required'),
      'CONFIG_INVALID',
      'Invalid configuration: AUDIENCE is required',
    ],
    [
      new DevProviderError('port', 'is not a port'),
      'IDP_OPTIONS_INVALID',
      'Invalid development provider option: port is not a port',
    ],
    [
      new ApiDocumentError('api.yaml', 3, 5, ['paths'], 'must be a mapping'),
      'API_DOCUMENT_INVALID',
      'api.yaml:3:5: paths must be a mapping',
    ],
    [new ExportError('LOGICAL_ID_CONFLICT', 'both'), 'LOGICAL_ID_CONFLICT', 'both'],
    [new JsonPathError('must start with $'), 'JSONPATH_UNSUPPORTED', 'must start with $'],
    [
      new RuntimeError('Runtime.HandlerNotFound', 'index.handler is undefined'),
      'RUNTIME_INIT_FAILED',
      'index.handler is undefined',
    ],
    [new BodyNotJson('not JSON'), 'BODY_NOT_JSON', 'not JSON'],
    [new BodyRefused('BODY_TOO_LARGE'), 'BODY_TOO_LARGE', 'BODY_TOO_LARGE'],
    [
      new UsagePlanConfigError([{ path: ['serve', 'usagePlans'], message: 'must be a list' }]),
      'USAGE_PLANS_INVALID',
      'serve.usagePlans must be a list',
    ],
    [
      new WebSocketConfigError('routeSelectionExpression', 'is not supported'),
      'WEBSOCKET_CONFIG_INVALID',
      'routeSelectionExpression is not supported',
    ],
    [
      new PageConfigError('clientId', 'is required'),
      'PAGE_CONFIG_INVALID',
      'Invalid page configuration: clientId is required',
    ],
  ];
  for (const [error, code, message] of cases) {
    assert.ok(error instanceof TollgateError && error instanceof Error, error.constructor.name);
    assert.equal(error.code, code, error.constructor.name);
    assert.ok(code in ERROR_CODES, code);
    assert.equal(error.message, message);
    assert.ok(
      isTollgateError(error, code) &&
        !isTollgateError(error, 'USAGE_PLANS_INVALID') === (code !== 'USAGE_PLANS_INVALID'),
    );
  }
  assert.equal(isTollgateError(new Error('plain')), false);
});

test("the README's errors table is the code's (src/core/error-codes.ts)", () => {
  const readme = readFileSync(repoPath('README.md'), 'utf8').split('\n');
  const start = readme.indexOf('| Code | Meaning | HTTP status | CLI exit |');
  assert.ok(start >= 0, 'the README has the errors table');
  let end = start;
  while (readme[end]?.startsWith('|')) end++;
  const expected = errorsTable();
  assert.equal(
    readme.slice(start, end).join('\n'),
    expected,
    `the README's table drifted from src/core/error-codes.ts; it should read:\n${expected}`,
  );
  assert.equal(expected.split('\n').length - 2, Object.keys(ERROR_CODES).length);
});

test("the gateway's boundary answers each code with the response of the table's status", () => {
  for (const [code, type] of Object.entries(ERROR_RESPONSES)) {
    assert.equal(
      GATEWAY_RESPONSES[type].status,
      ERROR_CODES[code as TollgateErrorCode].http,
      `${code} -> ${type}`,
    );
    assert.equal(errorResponse(new TollgateError(code as TollgateErrorCode, 'x'))?.type, type);
  }
  assert.deepEqual(errorResponse(new BodyRefused('BODY_IDLE_TIMEOUT')), {
    type: 'REQUEST_TIMEOUT',
    reason: 'BODY_IDLE_TIMEOUT',
  });
  // Not a request's error: the server logs it and answers 500.
  assert.equal(errorResponse(new Error('bug')), undefined);
  assert.equal(errorResponse(new ConfigError('AUDIENCE', 'is required')), undefined);
});

test("the CLI's boundary exits as the table says, one line, never a stack", () => {
  for (const code of Object.keys(ERROR_CODES) as TollgateErrorCode[]) {
    const lines: string[] = [];
    const exit = exitForError(new TollgateError(code, 'what went wrong'), (l) => lines.push(l));
    assert.equal(exit, EXIT[ERROR_CODES[code].exit], code);
    assert.deepEqual(lines, [
      exit === EXIT.internal
        ? 'tollgate: unexpected error: what went wrong'
        : 'tollgate: what went wrong',
    ]);
  }
  const lines: string[] = [];
  assert.equal(
    exitForError(new TypeError('x is undefined'), (l) => lines.push(l)),
    1,
  );
  assert.deepEqual(lines, ['tollgate: unexpected error: x is undefined']);
});

test('the CLI: an OpenAPI document error and a configuration error exit 2 with their one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-errors-'));
  try {
    const api = join(dir, 'api.yaml');
    writeFileSync(api, 'openapi: 3.0.1\npaths: 12\n');
    const cli = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [repoPath('bin', 'tollgate.js'), ...args], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', TOLLGATE_HOME: join(dir, '.tollgate'), ...env },
        encoding: 'utf8',
      });
    const exported = cli(['export', '--api', api]);
    assert.equal(exported.status, 2, exported.stderr);
    assert.match(exported.stderr, /^tollgate: .*api\.yaml:2:\d+: .*\n$/);
    const checked = cli(['explain', 'a.b.c'], {
      TOKEN_ISSUER: 'https://issuer.example/',
      AUDIENCE: 'api',
      CLOCK_TOLERANCE: 'soon',
    });
    assert.equal(checked.status, 2, checked.stderr);
    assert.match(checked.stderr, /^tollgate: Invalid configuration: CLOCK_TOLERANCE .*\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the Lambda's boundary: an error thrown while deciding is INTERNAL_ERROR, 500, logged without its message", async () => {
  const runtime = testRuntime('http://127.0.0.1:9/jwks.json');
  const secret = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
  const broken = {
    verify: () => Promise.reject(new TypeError(`cannot read ${secret}`)),
  } as unknown as Verifier;
  const handle = createHandler(singleIssuerAuthorizer({ ...runtime, verifier: broken }));
  const event = {
    type: 'TOKEN',
    authorizationToken: `Bearer ${secret}`,
    methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets',
  };
  await assert.rejects(
    handle(event),
    (e: unknown) =>
      e instanceof AuthorizerFailure &&
      e.code === 'INTERNAL_ERROR' &&
      e.message === 'Authorizer failure: INTERNAL_ERROR',
  );
  const line = runtime.logs.find((l) => l.decision === 'failure');
  assert.equal(line?.reason, 'INTERNAL_ERROR');
  assert.ok(!JSON.stringify(runtime.logs).includes(secret), 'no token in the log');
});
