import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

type Handler = (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

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

async function loadHandler(options: InvokeOptions, env: Record<string, string | undefined>): Promise<Handler> {
  if (options.handler === undefined) return createTokenHandler(createRuntime(configFromEnv(env)));
  // A built module reads process.env when it is imported, as it does on Lambda.
  const [file, exportName = 'handler'] = options.handler.split('#') as [string, string?];
  for (const [k, v] of Object.entries(env)) if (v !== undefined) process.env[k] = v;
  const mod = (await import(pathToFileURL(resolve(file)).href)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') throw new UsageError(`${file} has no exported function ${exportName}`);
  return fn as Handler;
}

type Outcome = { result: APIGatewayAuthorizerResult } | { error: string };

/**
 * Runs `fn` with the process's stdout pointed at stderr, so a handler's log lines (console.log or
 * direct writes, as on Lambda) never mix with the printed result.
 */
async function withLogsOnStderr<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  const log = console.log;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  console.log = console.error;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
    console.log = log;
  }
}

/** Runs the handler; returns the exit code. */
export async function invoke(options: InvokeOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const event = readEvent(options);
  const resolved = await resolveEnv(options['env-file']);
  if (resolved.notice) err(`tollgate: ${resolved.notice}`);
  let outcome: Outcome;
  try {
    outcome = await withLogsOnStderr(async () => {
      const handler = await loadHandler(options, resolved.env);
      try {
        return { result: await handler(event) };
      } catch (error) {
        return { error: error instanceof Error ? error.message : String(error) };
      }
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
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
