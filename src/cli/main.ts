import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, isTollgateError, UsageError } from '../core/errors.js';
import { ERROR_CODES } from '../core/error-codes.js';
import { EXPLAIN_HELP, explain } from './explain-command.js';
import { INVOKE_HELP, invoke, type InvokeOptions } from './invoke-command.js';
import { loadDevKey, serveDevJwks } from '../idp/dev-issuer.js';
import { mintDevToken, TOKEN_HELP, type TokenOptions } from './token-command.js';
import { joinNegativeDurations } from './duration.js';
import { rulesCommand } from './rules-command.js';
import { configCommand } from './config-command.js';
import { SERVE_HELP, serve, type ServeOptions } from './serve-command.js';
import { EXPORT_HELP, exportCommand, type ExportCommandOptions } from './export-command.js';

const HELP = `Usage: tollgate <command> [options]

Commands:
  token     mint a development access token
  invoke    run the authorizer handler on an event file
  explain   show why a token is allowed or refused
  jwks      print (or serve) the development issuer's public JWKS
  rules     check a route rules file (rules check FILE)
  config    check a tollgate.config.yaml or .json (config check [FILE])
  serve     a local API Gateway for an OpenAPI document (REST and HTTP APIs, WebSocket)
  export    write the OpenAPI document as API Gateway imports it (for deploy/template.yaml)

'tollgate <command> --help' describes each command.`;

const JWKS_HELP = `Usage: tollgate jwks [--serve] [--port N]

Prints the development issuer's public JWKS. With --serve, serves it at
http://127.0.0.1:PORT/.well-known/jwks.json until interrupted, for a handler's JWKS_URI.`;

type Values = Record<string, string | boolean | string[] | undefined>;

function parse(
  args: string[],
  options: ParseArgsConfig['options'],
  allowPositionals = false,
): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(
      (error as Error).message.split('\n')[0]!.replace(/^TypeError \[[A-Z_]+\]: /, ''),
    );
  }
}

interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

type Command = (args: string[], io: Io) => Promise<number> | number;

async function tokenCommand(args: string[], { out, err }: Io): Promise<number> {
  const { values } = parse(joinNegativeDurations(args, ['--expires-in', '--not-before']), {
    sub: { type: 'string' },
    scope: { type: 'string' },
    aud: { type: 'string', multiple: true },
    iss: { type: 'string' },
    'expires-in': { type: 'string' },
    'not-before': { type: 'string' },
    claim: { type: 'string', multiple: true },
    decode: { type: 'boolean' },
    cognito: { type: 'string' },
    pool: { type: 'string' },
    groups: { type: 'string' },
  });
  if (values.help) return (out(TOKEN_HELP), EXIT.allow);
  const minted = await mintDevToken(values as unknown as TokenOptions);
  for (const warning of minted.warnings) err(`tollgate: ${warning}`);
  if (values.decode) err(JSON.stringify({ header: minted.header, claims: minted.claims }, null, 2));
  out(minted.token);
  return EXIT.allow;
}

async function invokeCommand(args: string[], { out, err }: Io): Promise<number> {
  const { values } = parse(args, {
    event: { type: 'string' },
    token: { type: 'string' },
    'method-arn': { type: 'string' },
    config: { type: 'string' },
    rules: { type: 'string' },
    'env-file': { type: 'string' },
    handler: { type: 'string' },
    runtime: { type: 'string' },
  });
  if (values.help) return (out(INVOKE_HELP), EXIT.allow);
  return await invoke(values as unknown as InvokeOptions, out, err);
}

async function explainCommand(args: string[], { out, err }: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      'env-file': { type: 'string' },
      config: { type: 'string' },
      rules: { type: 'string' },
      route: { type: 'string' },
    },
    true,
  );
  if (values.help) return (out(EXPLAIN_HELP), EXIT.allow);
  if (positionals.length > 1) throw new UsageError('explain takes one token');
  return await explain(
    {
      token: positionals[0],
      envFile: values['env-file'] as string | undefined,
      config: values.config as string | undefined,
      rules: values.rules as string | undefined,
      route: values.route as string | undefined,
    },
    out,
    err,
  );
}

async function jwksCommand(args: string[], { out, err }: Io): Promise<number> {
  const { values } = parse(args, { serve: { type: 'boolean' }, port: { type: 'string' } });
  if (values.help) return (out(JWKS_HELP), EXIT.allow);
  if (!values.serve && values.port !== undefined)
    throw new UsageError(
      '--port needs --serve: without it, jwks prints the key set and serves nothing',
    );
  const key = loadDevKey({ create: true })!;
  if (!values.serve) return (out(JSON.stringify({ keys: [key.publicJwk] }, null, 2)), EXIT.allow);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number, got ${JSON.stringify(values.port)}`);
  const { url } = await serveDevJwks(key, port);
  err(`serving the development JWKS at ${url} (Ctrl-C to stop)`);
  await new Promise(() => {});
  return EXIT.allow;
}

async function serveCommand(args: string[], { out, err }: Io): Promise<number> {
  const { values } = parse(args, {
    api: { type: 'string' },
    template: { type: 'string' },
    'parameter-overrides': { type: 'string', multiple: true },
    param: { type: 'string', multiple: true },
    'env-vars': { type: 'string' },
    'template-api': { type: 'string' },
    function: { type: 'string', multiple: true },
    port: { type: 'string' },
    stage: { type: 'string' },
    basepath: { type: 'string' },
    config: { type: 'string' },
    rules: { type: 'string' },
    'env-file': { type: 'string' },
    watch: { type: 'boolean' },
    verbose: { type: 'boolean' },
    cognito: { type: 'string', multiple: true },
  });
  if (values.help) return (out(SERVE_HELP), EXIT.allow);
  const running = await serve(values as unknown as ServeOptions, err);
  await new Promise<void>((done) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => void running.close().then(done));
  });
  return EXIT.allow;
}

function exportApiCommand(args: string[], { out, err }: Io): number {
  const { values } = parse(args, {
    api: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    function: { type: 'string', multiple: true },
  });
  if (values.help) return (out(EXPORT_HELP), EXIT.allow);
  return exportCommand(
    values as unknown as ExportCommandOptions,
    (text) => void process.stdout.write(text),
    err,
  );
}

const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['token', tokenCommand],
  ['invoke', invokeCommand],
  ['explain', explainCommand],
  ['jwks', jwksCommand],
  ['rules', (args, { out, err }) => rulesCommand(args, out, err)],
  ['config', (args, { out }) => configCommand(args, out)],
  ['serve', serveCommand],
  ['export', exportApiCommand],
]);

const HELP_WORDS = [undefined, '-h', '--help', 'help'];

/**
 * The CLI's one error boundary: what a command threw, as one line and an exit code. A
 * TollgateError exits as its code says (the README's errors table); anything else is a bug.
 */
export function exitForError(error: unknown, err: (line: string) => void): number {
  const exit = isTollgateError(error) ? EXIT[ERROR_CODES[error.code].exit] : EXIT.internal;
  const message = error instanceof Error ? error.message : String(error);
  err(exit === EXIT.internal ? `tollgate: unexpected error: ${message}` : `tollgate: ${message}`);
  return exit;
}

export async function main(argv: string[]): Promise<number> {
  const io: Io = {
    out: (line) => void process.stdout.write(line + '\n'),
    err: (line) => void process.stderr.write(line + '\n'),
  };
  const [command, ...rest] = argv;
  try {
    if (HELP_WORDS.includes(command))
      return (io.out(HELP), command === undefined ? EXIT.usage : EXIT.allow);
    const run = COMMANDS.get(command!);
    if (!run)
      throw new UsageError(`unknown command ${JSON.stringify(command)}; run 'tollgate --help'`);
    return await run(rest, io);
  } catch (error) {
    return exitForError(error, io.err);
  }
}
