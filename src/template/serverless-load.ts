// serverless.yml on disk: its `${file(...)}` variables read relative to the service folder, its
// compiled template read as any other, and its REST API served at the service's stage.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { LOCAL_API } from '../gateway/events.js';
import { TemplateIssue } from './issue.js';
import { readCloudFormation, type TemplateApp } from './read-template.js';
import { compileService, type CompiledService } from './serverless.js';

type Obj = Record<string, unknown>;

export interface ServerlessLoadOptions {
  readonly stage?: string;
  /** `--param key=value`. */
  readonly params?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly api?: string;
}

export function compileServerless(
  raw: Obj,
  baseDir: string,
  options: ServerlessLoadOptions,
): CompiledService {
  return compileService(raw, {
    baseDir,
    ...(options.stage ? { stage: options.stage } : {}),
    sources: {
      ...(options.params ? { params: options.params } : {}),
      region: LOCAL_API.region,
      account: LOCAL_API.account,
      env: options.env ?? process.env,
      readFile: (path) => {
        try {
          return readFileSync(isAbsolute(path) ? path : resolve(baseDir, path), 'utf8');
        } catch {
          return undefined;
        }
      },
      parse: (text, path) => (path.endsWith('.json') ? JSON.parse(text) : parse(text)),
    },
  });
}

/** The compiled service read as a template; the REST API's stage is the service's. */
export function serverlessApp(
  service: CompiledService,
  baseDir: string,
  options: ServerlessLoadOptions,
): TemplateApp {
  const app = readCloudFormation(service.template, {
    baseDir,
    ...(options.api ? { api: options.api } : {}),
    readDocument: (_location, at) => {
      throw new TemplateIssue(at, 'is not read from a serverless.yml');
    },
  });
  const api =
    app.api && app.api.logicalId === service.restApiId
      ? { ...app.api, stageName: service.stage }
      : app.api;
  return { ...app, api };
}
