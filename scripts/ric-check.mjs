// Keeps the runtime emulation honest: drives the third-party-shaped fixtures
// (test/fixtures/third-party/) through AWS's own runtime interface client, aws-lambda-ric 3.x (what
// nodejs22.x runs) and 4.x (nodejs24.x), each talking to a minimal Lambda Runtime API server on
// 127.0.0.1, and compares every answer with `tollgate invoke --handler ... --runtime ...`.
//
//   npm run ric-check            (after npm run build; installs both clients into a temp folder)
//   RIC_DIR=/some/dir npm run ric-check   (reuse an install)
//
// The clients build a native part (aws-lambda-cpp, curl, node-gyp): cmake, g++, make, autoconf,
// automake, libtool and python3 must be installed. 4.x declares Node >= 22. A client that cannot be
// installed or built is reported with why, and the script exits 1.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'third-party');
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets';
const tokenEvent = (token) => ({ type: 'TOKEN', authorizationToken: token, methodArn: METHOD_ARN });
const AUTH0_ENV = {
  JWKS_URI: 'http://127.0.0.1:9/.well-known/jwks.json',
  TOKEN_ISSUER: 'https://issuer.example.com/',
  AUDIENCE: 'https://api.example.com',
};

const CASES = [
  {
    name: 'Auth0-shaped, bad token (context.fail)',
    dir: 'auth0-style',
    handler: 'index.handler',
    event: tokenEvent('Basic nope'),
    env: AUTH0_ENV,
  },
  {
    name: 'blueprint-shaped, reader (callback, AuthPolicy)',
    dir: 'blueprint-style',
    handler: 'index.handler',
    event: tokenEvent('Bearer reader'),
  },
  {
    name: 'blueprint-shaped, stranger (callback("Unauthorized"))',
    dir: 'blueprint-style',
    handler: 'index.handler',
    event: tokenEvent('Bearer stranger'),
  },
  {
    name: 'CommonJS exports.default (index.default)',
    dir: 'default-export',
    handler: 'index.default',
    event: tokenEvent('Bearer let-me-in'),
  },
];

const CLIENTS = [
  {
    pkg: 'ric3',
    spec: 'aws-lambda-ric@^3',
    runtime: 'nodejs22.x',
    native: 'dist/rapid-client.node',
    entry: 'bin/index.mjs',
    handlerAsArg: true,
  },
  {
    pkg: 'ric4',
    spec: 'aws-lambda-ric@^4',
    runtime: 'nodejs24.x',
    native: 'rapid-client.node',
    entry: 'index.mjs',
    handlerAsArg: false,
  },
];

const tail = (text, n = 6) => text.trim().split('\n').slice(-n).join('\n    ');

/** Installs both clients; builds a native part the install scripts did not build. Returns why a client is unusable. */
function install(dir) {
  const problems = new Map();
  if (!existsSync(join(dir, 'package.json')))
    writeFileSync(join(dir, 'package.json'), '{ "name": "tollgate-ric-check", "private": true }\n');
  const specs = CLIENTS.filter(
    (c) => !existsSync(join(dir, 'node_modules', c.pkg, 'package.json')),
  ).map((c) => `${c.pkg}@npm:${c.spec}`);
  if (specs.length) {
    console.log(`installing ${specs.join(' ')} in ${dir}`);
    const r = spawnSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--foreground-scripts', ...specs],
      { cwd: dir, encoding: 'utf8' },
    );
    if (r.status !== 0)
      for (const c of CLIENTS) problems.set(c.pkg, `npm install failed:\n    ${tail(r.stderr)}`);
  }
  for (const c of CLIENTS) {
    const pkgDir = join(dir, 'node_modules', c.pkg);
    if (problems.has(c.pkg) || existsSync(join(pkgDir, c.native))) continue;
    // npm may skip install scripts (npm 11's allowScripts): run the package's own build steps.
    for (const script of ['scripts/preinstall.sh', 'scripts/postinstall.sh']) {
      if (!existsSync(join(pkgDir, script))) continue;
      console.log(`${c.pkg}: running ${script} (builds the native client)`);
      const r = spawnSync('sh', [script], { cwd: pkgDir, encoding: 'utf8' });
      if (r.status !== 0) {
        problems.set(
          c.pkg,
          `${script} failed (exit ${r.status}):\n    ${tail(r.stdout + r.stderr)}`,
        );
        break;
      }
    }
    if (!problems.has(c.pkg) && !existsSync(join(pkgDir, c.native)))
      problems.set(c.pkg, `no ${c.native} after the build`);
  }
  return problems;
}

/** A Runtime API server serving one event; resolves with what the client posted first. */
function runtimeApi(event) {
  let settle;
  const outcome = new Promise((resolve) => (settle = resolve));
  let served = false;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (req.method === 'GET' && path === '/2018-06-01/runtime/invocation/next') {
        if (served) return; // the next invocation never comes: the client waits
        served = true;
        res.writeHead(200, {
          'content-type': 'application/json',
          'lambda-runtime-aws-request-id': 'ric-check-1',
          'lambda-runtime-deadline-ms': String(Date.now() + 10_000),
          'lambda-runtime-invoked-function-arn':
            'arn:aws:lambda:us-east-1:123456789012:function:ric-check',
          'lambda-runtime-trace-id': 'Root=1-00000000-000000000000000000000000',
        });
        return res.end(JSON.stringify(event));
      }
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"OK"}');
      const json = (() => {
        try {
          return JSON.parse(body);
        } catch {
          return body;
        }
      })();
      if (path.endsWith('/response')) settle({ kind: 'result', value: json });
      else if (path.endsWith('/init/error'))
        settle({ kind: 'init-error', type: json?.errorType, message: json?.errorMessage });
      else if (path.endsWith('/error'))
        settle({ kind: 'error', type: json?.errorType, message: json?.errorMessage });
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: server.address().port, outcome, close: () => server.close() }),
    ),
  );
}

async function throughRic(dir, client, c) {
  const api = await runtimeApi(c.event);
  const pkgDir = join(dir, 'node_modules', client.pkg);
  const env = {
    PATH: process.env.PATH,
    ...c.env,
    AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${api.port}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${client.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: 'ric-check',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/ric-check',
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    AWS_REGION: 'us-east-1',
    LAMBDA_TASK_ROOT: join(FIXTURES, c.dir),
    _HANDLER: c.handler,
    NODE_PATH: join(ROOT, 'node_modules'),
  };
  const args = [join(pkgDir, client.entry), ...(client.handlerAsArg ? [c.handler] : [])];
  const child = spawn(process.execPath, args, {
    cwd: join(FIXTURES, c.dir),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) =>
    child.once('exit', (code) => resolve({ kind: 'exit', code, output: tail(output) })),
  );
  const timeout = new Promise((resolve) =>
    setTimeout(() => resolve({ kind: 'no answer in 20 s', output: tail(output) }), 20_000),
  );
  const result = await Promise.race([api.outcome, exited, timeout]);
  child.kill();
  api.close();
  return result;
}

/** What Tollgate's emulation answers: tollgate invoke --handler, as a user runs it. */
function throughTollgate(work, runtime, c) {
  const eventFile = join(work, 'event.json');
  writeFileSync(eventFile, JSON.stringify(c.event));
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'tollgate.js'),
      'invoke',
      '--handler',
      c.handler,
      '--runtime',
      runtime,
      '--event',
      eventFile,
    ],
    {
      // In the code folder, as Lambda's task root: the handler name as the function declares it.
      cwd: join(FIXTURES, c.dir),
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        TOLLGATE_HOME: join(work, '.tollgate'),
        TOKEN_ISSUER: 'https://unused.example.com/',
        AUDIENCE: 'unused',
        ...c.env,
      },
    },
  );
  if (r.status === 0 || r.status === 3) return { kind: 'result', value: JSON.parse(r.stdout) };
  if (r.status === 4) return { kind: 'error', message: r.stdout.trim() };
  if (r.status === 5) return { kind: 'error', message: /Error: (.*)/.exec(r.stderr)?.[1] };
  const init = /cannot load .*?: (Runtime\.[A-Za-z]+): (.*)/.exec(r.stderr);
  if (r.status === 2 && init) return { kind: 'init-error', type: init[1], message: init[2] };
  return { kind: `exit ${r.status}`, output: tail(r.stderr) };
}

/** Whether two answers agree: the same kind and result, error message, or init error type. */
function agree(ric, ours) {
  if (ric.kind !== ours.kind) return false;
  if (ric.kind === 'result') return isDeepStrictEqual(ric.value, ours.value);
  if (ric.kind === 'error') return ric.message === ours.message;
  if (ric.kind === 'init-error')
    return ric.type === ours.type && (ours.message ?? '').startsWith(ric.message ?? '');
  return false;
}

const dir = process.env.RIC_DIR ?? mkdtempSync(join(tmpdir(), 'tollgate-ric-'));
mkdirSync(dir, { recursive: true });
const problems = install(dir);
let failures = 0;
for (const client of CLIENTS) {
  if (problems.has(client.pkg)) {
    console.log(`\n${client.spec} (${client.runtime}): NOT RUN: ${problems.get(client.pkg)}`);
    failures++;
    continue;
  }
  console.log(`\n${client.spec} (${client.runtime}):`);
  for (const c of CASES) {
    const ric = await throughRic(dir, client, c);
    const ours = throughTollgate(dir, client.runtime, c);
    const ok = agree(ric, ours);
    if (!ok) failures++;
    const show = (o) =>
      o.kind === 'result'
        ? `result ${JSON.stringify(o.value).slice(0, 120)}`
        : `${o.kind} ${o.type ?? ''} ${(o.message ?? o.output ?? '').slice(0, 160)}`;
    console.log(
      `  ${ok ? 'same' : 'DIFFERENT'}  ${c.name}\n      aws-lambda-ric: ${show(ric)}\n      tollgate:       ${show(ours)}`,
    );
  }
}
console.log(
  failures
    ? `\nric-check: ${failures} difference(s) or client(s) not run`
    : '\nric-check: Tollgate answered as both clients did',
);
process.exit(failures ? 1 : 0);
