import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, UsageError } from '../core/errors.js';
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

export async function main(argv: string[]): Promise<number> {
  const out = (line: string): void => void process.stdout.write(line + '\n');
  const err = (line: string): void => void process.stderr.write(line + '\n');
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        out(HELP);
        return command === undefined ? EXIT.usage : EXIT.allow;
      case 'token': {
        const { values } = parse(joinNegativeDurations(rest, ['--expires-in', '--not-before']), {
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
        if (values.decode)
          err(JSON.stringify({ header: minted.header, claims: minted.claims }, null, 2));
        out(minted.token);
        return EXIT.allow;
      }
      case 'invoke': {
        const { values } = parse(rest, {
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
      case 'explain': {
        const { values, positionals } = parse(
          rest,
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
      case 'jwks': {
        const { values } = parse(rest, { serve: { type: 'boolean' }, port: { type: 'string' } });
        if (values.help) return (out(JWKS_HELP), EXIT.allow);
        if (!values.serve && values.port !== undefined)
          throw new UsageError(
            '--port needs --serve: without it, jwks prints the key set and serves nothing',
          );
        const key = loadDevKey({ create: true })!;
        if (!values.serve)
          return (out(JSON.stringify({ keys: [key.publicJwk] }, null, 2)), EXIT.allow);
        const port = values.port === undefined ? 0 : Number(values.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535)
          throw new UsageError(`--port must be a port number, got ${JSON.stringify(values.port)}`);
        const { url } = await serveDevJwks(key, port);
        err(`serving the development JWKS at ${url} (Ctrl-C to stop)`);
        await new Promise(() => {});
        return EXIT.allow;
      }
      case 'rules':
        return rulesCommand(rest, out, err);
      case 'config':
        return configCommand(rest, out);
      case 'serve': {
        const { values } = parse(rest, {
          api: { type: 'string' },
          template: { type: 'string' },
          'parameter-overrides': { type: 'string', multiple: true },
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
      case 'export': {
        const { values } = parse(rest, {
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
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}; run 'tollgate --help'`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`tollgate: ${error.message}`);
      return EXIT.usage;
    }
    err(`tollgate: unexpected error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.internal;
  }
}
