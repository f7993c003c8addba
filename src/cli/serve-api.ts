// `tollgate serve`, step two: the API it serves, from an OpenAPI document or a SAM/CloudFormation
// template, and the usage plans of both the config file and the template.
import { UsageError } from '../core/errors.js';
import { BASE_PATH_MODES, type BasePathMode } from '../gateway/base-path.js';
import { ApiDocumentError, loadApi, type ApiDefinition } from '../gateway/openapi.js';
import { createUsagePlans, validateUsagePlans, type UsagePlan } from '../gateway/usage-plans.js';
import type { ServeInputs } from './serve-inputs.js';
import type { ServeOptions } from './serve-options.js';
import { serveTemplate, type TemplateServe } from './serve-template.js';

export interface ServedApi {
  readonly api: ApiDefinition;
  /** The issuer a template's .zip authorizer function names in its Environment (as deployed). */
  readonly templateIssuer: string | undefined;
  /** Set when the API comes from --template: its functions, stage and stage variables. */
  readonly fromTemplate: TemplateServe | undefined;
  /** The usage plans of the config file and the template; undefined when there are none. */
  readonly usage: ReturnType<typeof createUsagePlans> | undefined;
}

/** Loads the document or template; its unemulated settings are named on `err`, never dropped silently. */
export async function loadServedApi(
  options: ServeOptions,
  inputs: ServeInputs,
  err: (line: string) => void,
): Promise<ServedApi> {
  let api: ApiDefinition;
  let fromTemplate: TemplateServe | undefined;
  try {
    const basePath = basePathMode(options.basepath ?? inputs.settings.basePath ?? 'ignore');
    if (inputs.templatePath) {
      fromTemplate = serveTemplate({
        template: inputs.templatePath,
        parameterOverrides: options['parameter-overrides'],
        params: options.param,
        envVars: options['env-vars'],
        api: options['template-api'],
        basePath,
        stage: options.stage ?? inputs.settings.stage,
        env: inputs.env,
      });
      api = fromTemplate.api;
      for (const line of fromTemplate.lines) err(line);
    } else api = await loadApi(inputs.apiPath!, { basePath });
  } catch (error) {
    if (error instanceof ApiDocumentError) throw new UsageError(error.message);
    throw error;
  }
  for (const warning of api.warnings ?? []) err(`tollgate: ${warning.text}`);
  if (api.basePath !== undefined) err(basePathLine(api));
  const plans = [...inputs.plans, ...templatePlans(fromTemplate)];
  const templateIssuer = [...(fromTemplate?.ownEnvironments.values() ?? [])]
    .map((e) => e.TOKEN_ISSUER?.trim())
    .find(Boolean);
  return {
    api,
    fromTemplate,
    templateIssuer,
    usage: plans.length ? createUsagePlans(plans) : undefined,
  };
}

function basePathMode(value: string): BasePathMode {
  if (!BASE_PATH_MODES.includes(value as BasePathMode))
    throw new UsageError(
      `--basepath must be ${BASE_PATH_MODES.join(', ')}, got ${JSON.stringify(value)}`,
    );
  return value as BasePathMode;
}

function basePathLine(api: ApiDefinition): string {
  const served =
    api.basePathMode === 'ignore'
      ? "ignored, as API Gateway's import does by default (--basepath prepend or split, or serve.basePath, to serve the paths under it)"
      : `applied (${api.basePathMode})`;
  return `tollgate: the document's base path ${api.basePath} is ${served}`;
}

/** A template's usage plans, checked as serve.usagePlans are. */
function templatePlans(fromTemplate: TemplateServe | undefined): UsagePlan[] {
  if (!fromTemplate?.usagePlans.length) return [];
  const checked = validateUsagePlans(fromTemplate.usagePlans, { at: ['UsagePlan'] });
  if (!checked.ok)
    throw new UsageError(
      `the template's usage plan: ${checked.issues.map((i) => i.message).join('; ')}`,
    );
  return checked.plans;
}
