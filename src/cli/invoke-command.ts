import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { createAuthorizer } from '../lambda/authorizer.js';
import { UNAUTHORIZED } from '../aws/bearer.js';
import { createHandler } from '../lambda/handler.js';
import { evaluatePolicy } from '../aws/policy-eval.js';
import type { AuthorizerResult } from '../aws/shapes/index.js';
import {
  cliAuthorizerConfig,
  configFilePath,
  lambdaConfigDocument,
} from '../settings/config-file.js';
import { EXIT, UsageError } from '../core/errors.js';
import { resolveEnv, type ResolvedEnv } from './resolve-env.js';
import type { SettingsOverrides } from '../settings/authorizer-config.js';
import { functionSpec } from './serve-settings.js';
import { DEFAULT_RUNTIME, isNodeRuntime, NODE_RUNTIMES } from '../gateway/lambda-runtime.js';
import { isPythonPath, isPythonRuntime, PYTHON_RUNTIMES } from '../gateway/python-runtime.js';
import type { LambdaRuntime } from '../gateway/sandbox.js';
import { runPython } from './python-invoke.js';

type Env = Readonly<Record<string, string | undefined>>;

export const INVOKE_HELP = `Usage: tollgate invoke (--event FILE | --token JWT) [options]

Runs the authorizer handler on an API Gateway authorizer event, as lambda-local does, and prints
what it returns (a policy, or { isAuthorized, context } for HTTP API 2.0 simple responses), or
"Unauthorized". Every shape: REST TOKEN and REQUEST, HTTP API 1.0 and 2.0, WebSocket $connect.
Handler log lines go to stderr.

Options:
  --event FILE        the event, as JSON
  --token JWT         build a TOKEN event for this token instead (methodArn of GET /pets)
  --method-arn ARN    with --token: the methodArn to use
  --config FILE       a tollgate.config.yaml or .json (default: TOLLGATE_CONFIG, or
                      tollgate.config.yaml/.yml/.json in this folder)
  --rules FILE        route rules (YAML or JSON), as RULES_FILE
  --env-file FILE     settings (TOKEN_ISSUER, JWKS_URI, AUDIENCE, ...) in KEY=value lines
                      (default: ./.env when present); the environment wins over the file
  --handler HANDLER   run a built handler module instead, e.g. dist/authorizer/index.mjs:
                      PATH[#EXPORT] or Lambda's MODULE.EXPORT form (index.handler), in a fresh
                      process, loaded and called as its runtime does
  --runtime NAME      with --handler: nodejs20.x, nodejs22.x (default) or nodejs24.x; or
                      python3.9 to python3.14 (a FILE.py[#FUNCTION] handler is Python without
                      it; the interpreter is TOLLGATE_PYTHON, else python3 on PATH)
  -h, --help          this help

With no issuer configured, the development issuer of 'tollgate token' is used, and said so.

Exit codes: 0 allowed (the policy allows the event's own ARN, or isAuthorized is true),
3 denied, 4 Unauthorized, 5 authorizer failure (API Gateway 500), 2 bad arguments or
configuration, 1 unexpected error.`;

export const SAMPLE_METHOD_ARN =
  'arn:aws:execute-api:us-east-1:123456789012:abc123def4/prod/GET/pets';

export interface InvokeOptions {
  event?: string | undefined;
  token?: string | undefined;
  'method-arn'?: string | undefined;
  config?: string | undefined;
  rules?: string | undefined;
  'env-file'?: string | undefined;
  handler?: string | undefined;
  runtime?: string | undefined;
}

function readEvent(options: InvokeOptions): APIGatewayTokenAuthorizerEvent {
  if (options.event !== undefined && options.token !== undefined)
    throw new UsageError('give either --event or --token, not both');
  if (options.token !== undefined)
    return {
      type: 'TOKEN',
      authorizationToken: `Bearer ${options.token}`,
      methodArn: options['method-arn'] ?? SAMPLE_METHOD_ARN,
    };
  if (options.event === undefined)
    throw new UsageError('--event FILE (or --token JWT) is required');
  let text: string;
  try {
    text = readFileSync(options.event, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read event file ${options.event}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  try {
    return JSON.parse(text) as APIGatewayTokenAuthorizerEvent;
  } catch (error) {
    throw new UsageError(
      `event file ${options.event} is not valid JSON: ${(error as Error).message}`,
    );
  }
}

type Outcome = ({ result: AuthorizerResult } | { error: string }) & { warnings?: string[] };

/** The built-in handler, in this process, its log lines on stderr. */
async function runInProcess(
  event: unknown,
  resolved: ResolvedEnv,
  overrides: SettingsOverrides,
): Promise<Outcome> {
  const handler = createHandler(
    createAuthorizer(cliAuthorizerConfig(resolved.env, resolved.file, overrides), {
      log: (entry) => void process.stderr.write(JSON.stringify(entry) + '\n'),
    }),
  );
  try {
    return { result: await handler(event, { awsRequestId: 'tollgate-invoke' }) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * A built handler with the config file the CLI would use, given to it as the deployed function
 * reads it: JSON with the rules inlined, through TOLLGATE_CONFIG.
 */
async function runBuilt(
  job: ChildJob,
  env: Record<string, string | undefined>,
  configOption: string | undefined,
): Promise<Outcome> {
  const path = configFilePath(configOption, env);
  if (!path) return runInChild(job, env);
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-invoke-'));
  try {
    const json = join(dir, 'tollgate.config.json');
    writeFileSync(json, JSON.stringify(lambdaConfigDocument(path, env)));
    return await runInChild(job, { ...env, TOLLGATE_CONFIG: json });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The environment a built handler runs with, as a deployed function's: the settings given as
 * flags (or the development issuer) become the variables the function reads.
 */
function lambdaEnv(env: Env, overrides: SettingsOverrides): Record<string, string | undefined> {
  const issuer = overrides.issuer;
  return {
    ...env,
    ...(overrides.rulesFile !== undefined ? { RULES_FILE: overrides.rulesFile } : {}),
    ...(issuer?.issuer !== undefined ? { TOKEN_ISSUER: issuer.issuer } : {}),
    ...(issuer?.audiences ? { AUDIENCE: issuer.audiences.join(',') } : {}),
    ...(issuer?.jwksUri !== undefined ? { JWKS_URI: issuer.jwksUri } : {}),
    ...(issuer?.algorithms ? { ALGORITHMS: issuer.algorithms.join(',') } : {}),
  };
}

interface ChildJob {
  readonly spec: string;
  readonly runtime: LambdaRuntime | undefined;
  readonly event: unknown;
}

/** A built module (e.g. the deployable bundle), in a fresh process with this environment, as Lambda runs it. */
function runInChild(job: ChildJob, env: Record<string, string | undefined>): Promise<Outcome> {
  let setting;
  try {
    setting = functionSpec(job.spec, process.cwd(), { runtime: job.runtime });
  } catch (error) {
    return Promise.reject(new UsageError(`--handler ${job.spec}: ${(error as Error).message}`));
  }
  if (setting.handler.kind === 'python') return runPython(setting, job.event, env);
  const name = setting.handler;
  const runtime = setting.runtime ?? DEFAULT_RUNTIME;
  return new Promise((resolvePromise, reject) => {
    const runner = fileURLToPath(new URL('./handler-runner.js', import.meta.url));
    // The child's stdout (the handler's log lines) goes to our stderr, so stdout holds only the result.
    const child = fork(runner, [], {
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 2, 2, 'ipc'],
      execArgv: [],
    });
    let answered = false;
    child.once('message', (answer: Outcome | { usage: string }) => {
      answered = true;
      if ('usage' in answer) reject(new UsageError(answer.usage));
      else resolvePromise(answer);
    });
    child.once('exit', (code) => {
      if (!answered)
        reject(new UsageError(`the handler process exited with code ${code} before answering`));
    });
    child.send({ name, runtime, event: job.event });
  });
}

/** Runs the handler; returns the exit code. */
export async function invoke(
  options: InvokeOptions,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const event = readEvent(options);
  if (
    options.runtime !== undefined &&
    !isNodeRuntime(options.runtime) &&
    !isPythonRuntime(options.runtime)
  )
    throw new UsageError(
      `--runtime must be one of ${[...NODE_RUNTIMES, ...PYTHON_RUNTIMES].join(', ')}, got ${JSON.stringify(options.runtime)}`,
    );
  if (options.runtime !== undefined && options.handler === undefined)
    throw new UsageError(
      '--runtime applies to --handler (the built-in handler runs in this process)',
    );
  const runtime = options.runtime as LambdaRuntime | undefined;
  const resolved = await resolveEnv(options['env-file'], options.config, err);
  if (resolved.notice) err(`tollgate: ${resolved.notice}`);
  const overrides = { ...resolved.overrides, rulesFile: options.rules };
  let outcome: Outcome;
  try {
    outcome =
      options.handler === undefined
        ? await runInProcess(event, resolved, overrides)
        : await runBuilt(
            { spec: options.handler, runtime, event },
            lambdaEnv(resolved.env, overrides),
            options.config,
          );
  } finally {
    await resolved.close();
  }
  for (const warning of outcome.warnings ?? [])
    err(
      `tollgate: ${runtime ?? (isPythonPath(options.handler ?? '') ? 'python' : DEFAULT_RUNTIME)}: ${warning}`,
    );
  if ('error' in outcome) {
    if (outcome.error === UNAUTHORIZED) {
      out(UNAUTHORIZED);
      return EXIT.unauthorized;
    }
    err(`Error: ${outcome.error}`);
    return EXIT.failure;
  }
  out(JSON.stringify(outcome.result, null, 2));
  return allowsItsOwnRequest(outcome.result, event) ? EXIT.allow : EXIT.deny;
}

/** What API Gateway would do with this answer for this event: the policy evaluated against the event's own ARN. */
function allowsItsOwnRequest(result: unknown, event: unknown): boolean {
  if (typeof result !== 'object' || result === null) return false;
  if ('isAuthorized' in result) return (result as { isAuthorized: unknown }).isAuthorized === true;
  const e = (typeof event === 'object' && event !== null ? event : {}) as {
    methodArn?: unknown;
    routeArn?: unknown;
  };
  const arn =
    typeof e.routeArn === 'string'
      ? e.routeArn
      : typeof e.methodArn === 'string'
        ? e.methodArn
        : '';
  return evaluatePolicy((result as { policyDocument?: unknown }).policyDocument, arn) === 'allow';
}
