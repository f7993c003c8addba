// `tollgate serve`, step six: Tollgate's own authorizer for each Lambda authorizer the document
// gives no module, answering in the form the document asks for: an HTTP API 2.0 authorizer's
// enableSimpleResponses decides simple or IAM answers. One handler per answer form.
import { UsageError } from '../core/errors.js';
import { createDecisionNotes } from '../gateway/authorizer-header.js';
import type { LambdaHandler } from '../gateway/invoke.js';
import type { ApiDefinition, LambdaAuthorizerSpec } from '../gateway/openapi.js';
import { createAuthorizer } from '../lambda/authorizer.js';
import { createHandler } from '../lambda/handler.js';
import type { SettingsOverrides } from '../settings/authorizer-config.js';
import type { FileConfig } from '../settings/file-validate.js';
import { cliAuthorizerConfig } from '../settings/config-file.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The function name serve.websocket uses for Tollgate's own authorizer. */
export const OWN_WEBSOCKET_AUTHORIZER = '$tollgate';

export interface OwnAuthorizerSources {
  readonly env: Env;
  readonly file: FileConfig | undefined;
  /** The development issuer and --rules: over the environment and the file. */
  readonly overrides: SettingsOverrides;
  /** A template's .zip functions' Environment, by name: over `env` for the authorizer standing for one. */
  readonly templateEnvironments?: ReadonlyMap<string, Readonly<Record<string, string>>> | undefined;
}

/** The answer form API Gateway expects from an authorizer, as typed settings. */
export function answerForm(spec: LambdaAuthorizerSpec): SettingsOverrides {
  if (spec.payloadFormatVersion !== '2.0') return {};
  if (!spec.simpleResponses) return { v2Response: 'iam' };
  if (spec.ttlSeconds === 0) return { v2Response: 'simple', v2SimpleCache: 'off' };
  const perRoute = spec.identitySources.some((s) => s.kind === 'context' && s.name === 'routeKey');
  return perRoute ? { v2Response: 'simple', v2SimpleCache: 'per-route' } : { v2Response: 'simple' };
}

/**
 * Adds Tollgate's own handler to `functions` for every Lambda authorizer without a module (and
 * for the WebSocket API's when it names none). Returns the notes of why each decided, for the
 * x-tollgate-authorizer header.
 */
export function addOwnAuthorizers(
  api: ApiDefinition,
  functions: Map<string, LambdaHandler>,
  sources: OwnAuthorizerSources,
  websocket: boolean,
): ReturnType<typeof createDecisionNotes> {
  const notes = createDecisionNotes();
  const handlers = new Map<string, LambdaHandler>();
  const own = (form: SettingsOverrides, functionName?: string): LambdaHandler => {
    const fnEnv = functionName ? sources.templateEnvironments?.get(functionName) : undefined;
    const key = `${form.v2Response ?? ''}/${form.v2SimpleCache ?? ''}/${JSON.stringify(fnEnv ?? {})}`;
    let handler = handlers.get(key);
    if (!handler) {
      const settings = cliAuthorizerConfig({ ...sources.env, ...fnEnv }, sources.file, {
        ...sources.overrides,
        ...form,
      });
      handler = createHandler(createAuthorizer(settings), {
        onDecision: notes.record,
      }) as unknown as LambdaHandler;
      handlers.set(key, handler);
    }
    return handler;
  };
  for (const spec of api.authorizers.values()) {
    if (spec.type === 'jwt' || spec.type === 'cognito' || functions.has(spec.functionName))
      continue;
    try {
      functions.set(spec.functionName, own(answerForm(spec), spec.functionName));
    } catch (error) {
      throw new UsageError(`authorizer ${spec.name}: ${(error as Error).message}`);
    }
  }
  if (websocket) functions.set(OWN_WEBSOCKET_AUTHORIZER, own({}));
  return notes;
}
