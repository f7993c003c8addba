// Issue 14, Python functions: handlers in test/fixtures/python/ run through the bridge
// (runtime/python/tollgate_bootstrap.py) in real Python processes, behind a real gateway on
// 127.0.0.1, and through the CLI (`tollgate serve --function auth=auth.py#lambda_handler`,
// `tollgate invoke --handler ...`) as child processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from './support/child.js';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { createGateway } from '../src/gateway/gateway.js';
import { createGatewayServer } from '../src/gateway/server.js';
import { parseApi } from '../src/gateway/openapi.js';
import { startFunctionWorker, type FunctionWorker } from '../src/gateway/function-worker.js';
import { functionSpec } from '../src/cli/serve-settings.js';
import { serve } from '../src/cli/serve-command.js';
import { checkOutput, checkSimpleOutput, DEFAULT_ASSUMPTIONS } from '../src/gateway/authorize.js';
import type { RuntimeError } from '../src/gateway/lambda-runtime.js';
import { proxyTo, restTokenApi } from './support/apigw.js';
import { repoPath } from './support/paths.js';
import { startServeChild } from './support/serve-child.js';
import { pythonWithJwt } from './support/python.js';
import { useTempHome } from './support/temp-home.js';

const FIXTURES = repoPath('test', 'fixtures', 'python');
let dir: string;
useTempHome('tollgate-python-', (path) => (dir = path));
interface Running {
  readonly url: string;
  readonly lines: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A gateway on 127.0.0.1 for a document's YAML, with Python functions named `NAME: FILE.py#FUNCTION`. */
async function gateway(
  doc: string,
  functions: Record<string, string>,
  timeouts: { integration?: number; authorizer?: number } = {},
  environment: Record<string, string> = {},
): Promise<Running> {
  const lines: Record<string, unknown>[] = [];
  const log = (entry: Record<string, unknown>): void => void lines.push(entry);
  const workers = new Map<string, FunctionWorker>();
  for (const [name, spec] of Object.entries(functions)) {
    const setting = functionSpec(spec, FIXTURES);
    const worker = startFunctionWorker({ name, handler: setting.handler, environment, log });
    workers.set(name, worker);
    await worker.ready();
  }
  const server = createGatewayServer(
    createGateway({
      api: parseApi(doc, 'api.yaml'),
      functions: new Map([...workers].map(([n, w]) => [n, w.handler])),
      integrationTimeoutMs: timeouts.integration ?? 29_000,
      authorizerTimeoutMs: timeouts.authorizer ?? 10_000,
      log,
    }),
  );
  const { url } = await server.listen(0);
  return {
    url,
    lines,
    close: async () => {
      await server.close();
      await Promise.all([...workers.values()].map((w) => w.close()));
    },
  };
}

/** A REST API whose `paths` go to the proxy function `fn` (or `PATH=FN`'s); with `auth`, the TOKEN authorizer `auth` (TTL 0) guards them. */
function restApi(fn: string, paths: string[], auth = false): string {
  const yaml = paths
    .map((p) => `  ${p.split('=')[0]}:\n    get: { ${proxyTo(p.split('=')[1] ?? fn)} }`)
    .join('\n');
  if (auth)
    return restTokenApi(yaml).replace(
      'authorizerResultTtlInSeconds: 300',
      'authorizerResultTtlInSeconds: 0',
    );
  return `openapi: 3.0.1\ninfo: { title: python, version: '1' }\npaths:\n${yaml}\n`;
}

test('handler(event, context): the context fields and get_remaining_time_in_millis as Lambda gives them, its environment, no stdin', async () => {
  const gw = await gateway(
    restApi('contract', ['/first', '/second']),
    { contract: 'bridge.py#contract' },
    { integration: 4000 },
    { OWN_SETTING: 'only-here' },
  );
  try {
    const response = await fetch(`${gw.url}/first`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown> & {
      env: Record<string, string>;
      remaining_before: number;
      remaining_after: number;
    };
    assert.equal(body.path, '/first');
    assert.equal(body.function_name, 'contract');
    assert.equal(body.function_version, '$LATEST');
    assert.equal(
      body.invoked_function_arn,
      'arn:aws:lambda:us-east-1:123456789012:function:contract',
    );
    assert.equal(
      body.memory_limit_in_mb,
      '128',
      'a string, as awslambdaric reads it from the environment',
    );
    assert.match(String(body.aws_request_id), /^[0-9a-f-]{36}$/);
    assert.equal(body.log_group_name, '/aws/lambda/contract');
    assert.equal(body.log_stream_name, 'local');
    assert.deepEqual(body.identity, [null, null]);
    assert.equal(body.client_context, null);
    assert.ok(
      body.remaining_before <= 4000 && body.remaining_before > 3000,
      String(body.remaining_before),
    );
    assert.ok(
      body.remaining_before - body.remaining_after >= 45,
      'the remaining time falls as the handler runs',
    );
    assert.deepEqual(body.env, {
      AWS_LAMBDA_FUNCTION_NAME: 'contract',
      AWS_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_python3.12',
      OWN_SETTING: 'only-here',
      LAMBDA_TASK_ROOT: FIXTURES,
      _HANDLER: 'bridge.py#contract',
    });
    assert.equal(body.cwd, FIXTURES, 'the code root is the working directory, as /var/task');
    assert.equal(body.stdin, '');
    assert.equal(process.env.OWN_SETTING, undefined);
    const second = (await (await fetch(`${gw.url}/second`)).json()) as { calls: number };
    assert.equal(second.calls, 2, 'one process, loaded once, serves the invocations');
  } finally {
    await gw.close();
  }
});

test("raise Exception('Unauthorized') from an authorizer is a 401; another exception 500 (authorizer) or 502 (proxy), logged in the runtime's error shape", async () => {
  const gw = await gateway(restApi('backend', ['/ok', '/broken=broken']), {
    backend: 'bridge.py#contract',
    broken: 'bridge.py#fails',
  });
  try {
    const broken = await fetch(`${gw.url}/broken`);
    assert.equal(broken.status, 502);
    assert.deepEqual(await broken.json(), { message: 'Internal server error' });
    const logged = gw.lines
      .filter((l) => l.event === 'function_output' && l.function === 'broken')
      .map((l) => String(l.line));
    assert.equal(logged[0], '[ERROR] ValueError: the table is missing');
    assert.equal(logged[1], 'Traceback (most recent call last):');
    assert.ok(
      logged.some((l) => /bridge\.py", line \d+, in fails/.test(l)),
      'the stack trace names the handler, not the bridge',
    );
    assert.ok(!logged.some((l) => l.includes('tollgate_bootstrap')));
  } finally {
    await gw.close();
  }
  writeFileSync(
    join(dir, 'raising_auth.py'),
    `def handler(event, context):
    if event["authorizationToken"] == "Bearer crash":
        raise KeyError("kid")
    if event["authorizationToken"] == "Bearer unauthorized-but-lowercase":
        raise Exception("unauthorized")
    raise Exception("Unauthorized")
`,
  );
  const authed = await gateway(restApi('backend', ['/pets'], true), {
    backend: 'bridge.py#contract',
    auth: join(dir, 'raising_auth.py#handler'),
  });
  try {
    const unauthorized = await fetch(`${authed.url}/pets`, {
      headers: { authorization: 'Bearer x' },
    });
    assert.equal(unauthorized.status, 401);
    assert.deepEqual(await unauthorized.json(), { message: 'Unauthorized' });
    const lower = await fetch(`${authed.url}/pets`, {
      headers: { authorization: 'Bearer unauthorized-but-lowercase' },
    });
    assert.equal(lower.status, 500, 'only the exact message "Unauthorized" is a 401');
    const crash = await fetch(`${authed.url}/pets`, { headers: { authorization: 'Bearer crash' } });
    assert.equal(crash.status, 500);
    assert.equal(crash.headers.get('x-amzn-errortype'), 'AuthorizerConfigurationException');
    assert.deepEqual(await crash.json(), { message: null });
  } finally {
    await authed.close();
  }
});

test('a function past its deadline: the gateway answers 504 as for Node, the process is killed and a fresh one serves the next call', async () => {
  const gw = await gateway(
    restApi('sleepy', ['/slow', '/fast']),
    { sleepy: 'bridge.py#sleeps' },
    {
      // Long enough for a new process to start under load: the call after the timeout waits for it.
      integration: 2000,
    },
  );
  try {
    assert.equal(((await (await fetch(`${gw.url}/fast`)).json()) as { calls: number }).calls, 1);
    const started = Date.now();
    const slow = await fetch(`${gw.url}/slow`);
    assert.equal(slow.status, 504);
    assert.deepEqual(await slow.json(), { message: 'Endpoint request timed out' });
    assert.ok(Date.now() - started < 5000, 'answered at the deadline, not after the sleep');
    const afterResponse = await fetch(`${gw.url}/fast`);
    const after = (await afterResponse.json()) as { calls: number };
    assert.equal(
      afterResponse.status,
      200,
      JSON.stringify(after) + JSON.stringify(gw.lines.slice(-6)),
    );
    assert.equal(after.calls, 1, 'a new process: the module was loaded again');
    assert.ok(gw.lines.some((l) => l.event === 'function_timeout' && l.function === 'sleepy'));
  } finally {
    await gw.close();
  }
});

test('prints go to the log as function_output lines, stdout and stderr, and cannot corrupt the protocol', async () => {
  const gw = await gateway(restApi('printer', ['/print']), { printer: 'bridge.py#prints' });
  try {
    const response = await fetch(`${gw.url}/print`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { printed: true });
    const out = gw.lines.filter((l) => l.event === 'function_output');
    const stdout = out.filter((l) => l.stream === 'stdout').map((l) => l.line);
    assert.ok(stdout.includes('plain line from print'));
    assert.ok(
      stdout.includes('{"id": 1, "result": "null"}'),
      'a protocol-shaped print is only a log line',
    );
    assert.ok(stdout.includes('no newline at the end, then the rest'));
    assert.ok(
      stdout.some((l) =>
        /^\[INFO\]\t\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\tthrough logging$/.test(String(l)),
      ),
      "logging uses Lambda's format, with the request id",
    );
    assert.deepEqual(
      out.filter((l) => l.stream === 'stderr').map((l) => l.line),
      ['to stderr'],
    );
    assert.ok(out.every((l) => l.function === 'printer' && typeof l.requestId === 'string'));
  } finally {
    await gw.close();
  }
});

test('sys.exit and os._exit fail their invocation (Runtime.ExitError, 502) and a new process serves the next call', async () => {
  const gw = await gateway(restApi('quitter', ['/exit', '/hard-exit', '/fine']), {
    quitter: 'bridge.py#exits',
  });
  try {
    assert.equal(((await (await fetch(`${gw.url}/fine`)).json()) as { calls: number }).calls, 1);
    for (const [path, status] of [
      ['/exit', 'exit status 3'],
      ['/hard-exit', 'exit status 7'],
    ] as const) {
      const exited = await fetch(`${gw.url}${path}`);
      assert.equal(exited.status, 502, path);
      const crash = gw.lines.filter((l) => l.event === 'function_crashed').at(-1);
      assert.match(
        String(crash?.message),
        new RegExp(`^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: ${status}$`),
      );
      const next = await fetch(`${gw.url}/fine`);
      assert.equal(next.status, 200, `after ${path}`);
      assert.equal(((await next.json()) as { calls: number }).calls, 1, 'a fresh process');
    }
  } finally {
    await gw.close();
  }
});

test('a result that is not JSON is Runtime.MarshalError (502); load failures are one-line start-up errors with the runtime error type', async () => {
  const gw = await gateway(restApi('setter', ['/set']), { setter: 'bridge.py#returns_set' });
  try {
    assert.equal((await fetch(`${gw.url}/set`)).status, 502);
    assert.ok(
      gw.lines.some(
        (l) =>
          l.event === 'function_output' &&
          /^\[ERROR\] Runtime\.MarshalError: Unable to marshal response: Object of type set is not JSON serializable$/.test(
            String(l.line),
          ),
      ),
    );
  } finally {
    await gw.close();
  }
  const cases: [string, RegExp][] = [
    [
      'broken_import.py#handler',
      /^f: cannot load .*broken_import\.py: Runtime\.ImportModuleError: Unable to import module 'broken_import': No module named 'module_that_is_not_installed_anywhere' \(python3 cannot import module_that_is_not_installed_anywhere: install it for that interpreter, or choose one that has it with TOLLGATE_PYTHON\)$/,
    ],
    [
      'bridge.py#nowhere',
      /^f: cannot load .*bridge\.py: Runtime\.HandlerNotFound: Handler 'nowhere' missing on module 'bridge'$/,
    ],
    [
      'missing_module.py#handler',
      /Runtime\.ImportModuleError: Unable to import module 'missing_module'/,
    ],
  ];
  for (const [spec, expected] of cases) {
    const worker = startFunctionWorker({
      name: 'f',
      handler: functionSpec(spec, FIXTURES).handler,
      environment: {},
      python: 'python3',
    });
    await assert.rejects(worker.ready(), (error: Error) => {
      assert.match(error.message, expected);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
    await worker.close();
  }
  assert.throws(
    () => functionSpec('lambda_handlers', FIXTURES, { runtime: 'python3.12' }),
    (error: RuntimeError) =>
      error.errorType === 'Runtime.MalformedHandlerName' &&
      /^Bad handler 'lambda_handlers'/.test(error.message),
  );
});

/** Polls `read` until `done` holds (or 10 s pass), then returns what it read last. */
async function waitFor<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
  const until = Date.now() + 10_000;
  let value = read();
  while (!done(value) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = read();
  }
  return value;
}

const logLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

test("the chat's HS256 authorizer (PyJWT) under `tollgate serve --function auth=auth.py#lambda_handler`: a valid token 200, an invalid one 403 (its Deny) with the explanation in the log", async () => {
  const python = pythonWithJwt();
  const work = mkdtempSync(join(dir, 'hs256-'));
  copyFileSync(join(FIXTURES, 'auth_hs256.py'), join(work, 'auth.py'));
  copyFileSync(join(FIXTURES, 'bridge.py'), join(work, 'bridge.py'));
  writeFileSync(join(work, 'api.yaml'), restApi('hello', ['/hello'], true));
  const secret = 'a-local-hs256-secret-for-tests-only';
  const gw = await startServeChild(
    [
      '--api',
      'api.yaml',
      '--function',
      'auth=auth.py#lambda_handler',
      '--function',
      'hello=bridge.py#contract',
    ],
    { cwd: work, env: { TOLLGATE_PYTHON: python, HS256_SECRET: secret } },
  );
  try {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sub: 'user-7' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(secret));
    const ok = await fetch(`${gw.url}/hello`, { headers: { authorization: token } });
    assert.equal(ok.status, 200);
    const expired = await new SignJWT({ sub: 'user-7' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now - 60)
      .sign(new TextEncoder().encode(secret));
    for (const bad of ['wrong-token', expired]) {
      const denied = await fetch(`${gw.url}/hello`, { headers: { authorization: bad } });
      assert.equal(denied.status, 403);
      assert.deepEqual(await denied.json(), {
        Message: 'User is not authorized to access this resource with an explicit deny',
      });
    }
    // The child's log reaches this process after its answers: wait for both explanations.
    const lines = await waitFor(
      () => logLines(gw.output().stdout),
      (all) => all.filter((l) => l.event === 'authorizer_denied').length >= 2,
    );
    const explained = lines.filter((l) => l.event === 'authorizer_denied');
    assert.equal(explained.length, 2);
    assert.match(
      String(explained[0]!.explanation),
      /^403, not 401: the authorizer "auth" returned a Deny policy/,
    );
    assert.match(String(explained[0]!.explanation), /raise Exception\('Unauthorized'\) \(Python\)/);
    assert.ok(
      lines.some((l) => l.event === 'request' && l.principal === 'user-7' && l.status === 200),
    );
    assert.ok(!JSON.stringify(gw.output()).includes(token));
  } finally {
    await gw.stop();
  }
});

test('the Serverless example\'s authorizer shape (lambda_handlers.auth, python3.12): a {"statusCode": 401} answer is a 500 with the explanation, and its printed token is redacted with a warning', async () => {
  const config = join(dir, 'serverless-shape.yaml');
  writeFileSync(join(dir, 'sls-api.yaml'), restApi('privateEndpoint', ['/api/private'], true));
  writeFileSync(
    config,
    `serve:
  api: ${join(dir, 'sls-api.yaml')}
  page: false
  functions:
    auth: { handler: lambda_handlers.auth, runtime: python3.12 }
    privateEndpoint: { handler: lambda_handlers.private_endpoint, runtime: python3.12 }
`,
  );
  copyFileSync(join(FIXTURES, 'lambda_handlers.py'), join(dir, 'lambda_handlers.py'));
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const server = await serve(
    { config, port: '0' },
    (l) => stderr.push(l),
    (e) => lines.push(e),
  );
  try {
    const good = await fetch(`${server.url}/api/private`, {
      headers: { authorization: 'Bearer let-me-in-0123456789' },
    });
    assert.equal(good.status, 200);
    assert.equal(((await good.json()) as { principal: string }).principal, 'reader');
    const secretish = 'Bearer not-the-right-token-4242';
    const bad = await fetch(`${server.url}/api/private`, { headers: { authorization: secretish } });
    assert.equal(bad.status, 500, 'API Gateway cannot read an HTTP-shaped answer: 500, not 401');
    assert.equal(bad.headers.get('x-amzn-errortype'), 'AuthorizerConfigurationException');
    assert.deepEqual(await bad.json(), { message: null });
    const why = lines.find((l) => l.event === 'authorizer_answer_invalid');
    assert.ok(why, 'the explanation is logged');
    assert.match(
      String(why.explanation),
      /^500, not 401: the authorizer "auth" returned an HTTP response/,
    );
    assert.match(String(why.explanation), /raise Exception\('Unauthorized'\)/);
    const request = lines.find((l) => l.event === 'request' && l.status === 500);
    assert.match(String(request?.detail), /returned an HTTP response/);
    const warned = lines.filter((l) => l.event === 'function_logged_token');
    assert.equal(warned.length, 1, 'one warning per sandbox');
    assert.ok(lines.some((l) => l.line === 'Client token: [redacted]'));
    const version = spawnSync(
      'python3',
      ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'],
      {
        encoding: 'utf8',
      },
    ).stdout.trim();
    assert.equal(
      stderr.some((l) =>
        l.includes(
          `function auth (python3.12): declares python3.12 but python3 is Python ${version}`,
        ),
      ),
      version !== '3.12',
      'a declared runtime the interpreter does not match is named at start',
    );
    const all = JSON.stringify(lines) + stderr.join('\n');
    assert.ok(
      !all.includes('not-the-right-token-4242'),
      'the token appears nowhere in Tollgate output',
    );
    assert.ok(!all.includes('let-me-in-0123456789'));
  } finally {
    await server.close();
  }
});

test('tollgate invoke --handler auth.py#lambda_handler runs the same bridge: Allow exits 0, Deny 3, as for a Node handler', async () => {
  const python = pythonWithJwt();
  const work = mkdtempSync(join(dir, 'invoke-'));
  copyFileSync(join(FIXTURES, 'auth_hs256.py'), join(work, 'auth.py'));
  const secret = 'another-local-secret-for-invoke';
  const token = await new SignJWT({ sub: 'cli-user' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
    .sign(new TextEncoder().encode(secret));
  writeFileSync(
    join(work, 'event.json'),
    JSON.stringify({
      type: 'TOKEN',
      authorizationToken: token,
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/hello',
    }),
  );
  writeFileSync(
    join(work, 'bad.json'),
    JSON.stringify({
      type: 'TOKEN',
      authorizationToken: 'nope',
      methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/hello',
    }),
  );
  const run = (event: string) =>
    spawnSync(
      process.execPath,
      [
        repoPath('bin', 'tollgate.js'),
        'invoke',
        '--handler',
        'auth.py#lambda_handler',
        '--event',
        event,
      ],
      {
        cwd: work,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          TOLLGATE_HOME: join(dir, '.tollgate'),
          TOLLGATE_PYTHON: python,
          HS256_SECRET: secret,
        },
      },
    );
  const allowed = run('event.json');
  assert.equal(allowed.status, 0, allowed.stderr);
  assert.equal(JSON.parse(allowed.stdout).principalId, 'cli-user');
  const denied = run('bad.json');
  assert.equal(denied.status, 3, denied.stderr);
  assert.equal(JSON.parse(denied.stdout).policyDocument.Statement[0].Effect, 'Deny');
});

test('an HTTP-shaped answer is refused with the same explanation by REST and HTTP API (simple response) checks', () => {
  const answer = { statusCode: 401, body: '{"message":"Unauthorized"}' };
  for (const checked of [
    checkOutput(answer, DEFAULT_ASSUMPTIONS),
    checkOutput(answer, DEFAULT_ASSUMPTIONS, 'http'),
    checkSimpleOutput(answer, DEFAULT_ASSUMPTIONS),
  ]) {
    assert.equal(checked.ok, false);
    assert.match(
      checked.ok ? '' : checked.detail,
      /^the authorizer returned an HTTP response \(\{"statusCode": 401, \.\.\.\}\), not a policy: .*raise Exception\('Unauthorized'\)/,
    );
  }
});
