import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { ConfigError, configFromEnv } from '../config/env.js';
import { createRuntime } from '../lambda/runtime.js';
import { createTokenHandler, UNAUTHORIZED } from '../lambda/token-handler.js';
import { EXIT, UsageError } from './errors.js';
import { resolveEnv } from './resolve-env.js';

export const INVOKE_HELP = `Usage: tollgate invoke (--event FILE | --token JWT) [options]

Runs the authorizer handler on an API Gateway TOKEN event, as lambda-local does, and prints the
policy it returns, or "Unauthorized". Handler log lines go to stderr.

Options:
  --event FILE        the event, as JSON
  --token JWT         build a TOKEN event for this token instead (methodArn of GET /pets)
  --env-file FILE     settings (TOKEN_ISSUER, JWKS_URI, AUDIENCE, ...) in KEY=value lines
  --handler FILE      run a built handler module instead, e.g. dist/lambda/index.mjs
  -h, --help          this help

With no TOKEN_ISSUER configured, the development issuer of 'tollgate token' is used, and said so.

Exit codes: 0 Allow, 3 Deny, 4 Unauthorized, 5 authorizer failure (API Gateway 500),
2 bad arguments or configuration, 1 unexpected error.`;

export const SAMPLE_METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123def4/prod/GET/pets';

export interface InvokeOptions {
  event?: string | undefined;
  token?: string | undefined;
  'env-file'?: string | undefined;
  handler?: string | undefined;
}

function readEvent(options: InvokeOptions): APIGatewayTokenAuthorizerEvent {
  if (options.event !== undefined && options.token !== undefined) throw new UsageError('give either --event or --token, not both');
  if (options.token !== undefined) return { type: 'TOKEN', authorizationToken: `Bearer ${options.token}`, methodArn: SAMPLE_METHOD_ARN };
  if (options.event === undefined) throw new UsageError('--event FILE (or --token JWT) is required');
  let text: string;
  try {
    text = readFileSync(options.event, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read event file ${options.event}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    return JSON.parse(text) as APIGatewayTokenAuthorizerEvent;
  } catch (error) {
    throw new UsageError(`event file ${options.event} is not valid JSON: ${(error as Error).message}`);
  }
}

type Outcome = { result: APIGatewayAuthorizerResult } | { error: string };

/** The built-in handler, in this process, its log lines on stderr. */
async function runInProcess(event: APIGatewayTokenAuthorizerEvent, env: Record<string, string | undefined>): Promise<Outcome> {
  let handler;
  try {
    handler = createTokenHandler(createRuntime(configFromEnv(env), { log: (entry) => void process.stderr.write(JSON.stringify(entry) + '\n') }));
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  try {
    return { result: await handler(event) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** A built module (e.g. the deployable bundle), in a fresh process with this environment, as Lambda runs it. */
function runInChild(spec: string, event: APIGatewayTokenAuthorizerEvent, env: Record<string, string | undefined>): Promise<Outcome> {
  const hash = spec.lastIndexOf('#');
  const file = hash > 0 ? spec.slice(0, hash) : spec;
  const exportName = hash > 0 ? spec.slice(hash + 1) : 'handler';
  return new Promise((resolvePromise, reject) => {
    const runner = fileURLToPath(new URL('./handler-runner.js', import.meta.url));
    // The child's stdout (the handler's log lines) goes to our stderr, so stdout holds only the result.
    const child = fork(runner, [], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 2, 2, 'ipc'], execArgv: [] });
    let answered = false;
    child.once('message', (answer: Outcome | { usage: string }) => {
      answered = true;
      if ('usage' in answer) reject(new UsageError(answer.usage));
      else resolvePromise(answer);
    });
    child.once('exit', (code) => {
      if (!answered) reject(new UsageError(`the handler process exited with code ${code} before answering`));
    });
    child.send({ file: resolve(file), exportName, event });
  });
}

/** Runs the handler; returns the exit code. */
export async function invoke(options: InvokeOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const event = readEvent(options);
  const resolved = await resolveEnv(options['env-file']);
  if (resolved.notice) err(`tollgate: ${resolved.notice}`);
  let outcome: Outcome;
  try {
    outcome = options.handler === undefined ? await runInProcess(event, resolved.env) : await runInChild(options.handler, event, resolved.env);
  } finally {
    await resolved.close();
  }
  if ('error' in outcome) {
    if (outcome.error === UNAUTHORIZED) {
      out(UNAUTHORIZED);
      return EXIT.unauthorized;
    }
    err(`Error: ${outcome.error}`);
    return EXIT.failure;
  }
  out(JSON.stringify(outcome.result, null, 2));
  const effects = (outcome.result?.policyDocument?.Statement ?? []).map((s) => s.Effect);
  return effects.length > 0 && effects.every((e) => e === 'Allow') ? EXIT.allow : EXIT.deny;
}
