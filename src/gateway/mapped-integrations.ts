// Non-proxy REST integrations: `mock` and `aws` (Lambda). The request template turns the request
// into the integration's input, the answer selects an integration response by its selection
// pattern, and that response's parameters and template shape what the client gets
// (docs/emulation.md, "Mapping templates").
import { LOCAL_API, type AuthorizerDelivery, type RequestView } from './events.js';
import { mediaType } from './binary.js';
import type { Mapping, IntegrationResponse, HeaderSource } from './integration-mapping.js';
import type { IntegrationDeps, IntegrationFailure, IntegrationResult } from './integrations.js';
import { invoke } from './invoke.js';
import { queryPath } from './jsonpath.js';
import { BodyNotJson, renderTemplate, type TemplateInput } from './mapping-templates.js';
import { gatewayResponse } from './responses.js';
import { ERROR_RESPONSES } from './error-responses.js';

type Fail = (error: string, type?: IntegrationFailure, message?: string) => IntegrationResult;

type Mapped =
  | { readonly type: 'mock'; readonly mapping: Mapping }
  | { readonly type: 'aws'; readonly functionName: string; readonly mapping: Mapping };

/** What the integration answered, before the integration response maps it. */
interface Outcome {
  /** Matched against the selection patterns: a mock's status code, a Lambda's errorMessage; undefined selects `default`. */
  readonly selector: string | undefined;
  /** `$input.body` of the response template. */
  readonly body: string;
}

const header = (view: RequestView, name: string): string | undefined =>
  Object.entries(view.headers).find(([k]) => k.toLowerCase() === name)?.[1];

/** `$context.authorizer` of a REST API: principalId and the context, stringified (spec section 5). */
function authorizerVariables(
  delivery: AuthorizerDelivery | undefined,
): Record<string, string> | undefined {
  if (!delivery) return undefined;
  const out: Record<string, string> = Object.fromEntries(
    Object.entries(delivery.context).map(([k, v]) => [k, String(v)]),
  );
  if (delivery.principalId !== undefined) out.principalId = delivery.principalId;
  return out;
}

export async function runMapped(
  integration: Mapped,
  view: RequestView,
  body: Buffer | undefined,
  authorizer: AuthorizerDelivery | undefined,
  deps: IntegrationDeps,
): Promise<IntegrationResult> {
  const fail: Fail = (error, type = 'API_CONFIGURATION_ERROR', message) => ({
    response: gatewayResponse(type, view.requestId, deps.flavour, message),
    error,
    failure: type,
    ...(message === undefined ? {} : { message }),
  });
  const auth = authorizerVariables(authorizer);
  const text = body === undefined ? '' : body.toString('utf8');
  const request = requestPayload(integration.mapping, view, text, auth);
  if (request.kind === 'refused')
    return fail(
      request.error,
      request.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'API_CONFIGURATION_ERROR',
    );
  // API Gateway's 400 when a template reads a body that is not JSON, with its message.
  if (request.kind === 'bad-body')
    return fail(request.error, ERROR_RESPONSES.BODY_NOT_JSON, request.error);

  let outcome: Outcome | IntegrationResult;
  if (integration.type === 'mock') outcome = mockOutcome(request.payload, fail);
  else outcome = await lambdaOutcome(integration.functionName, request.payload, view, deps, fail);
  if ('response' in outcome) return outcome;

  const selected = selectResponse(integration.mapping.responses, outcome.selector);
  if (!selected)
    return fail(
      `no integration response matches ${JSON.stringify(outcome.selector ?? 'a success')} and none is default`,
    );
  try {
    return { response: methodResponse(selected, view, outcome.body, auth), error: undefined };
  } catch (error) {
    return fail(
      `the response template of ${JSON.stringify(selected.key)} failed: ${(error as Error).message.slice(0, 300)}`,
    );
  }
}

type RequestPayload =
  | { kind: 'ok'; payload: string }
  | { kind: 'refused'; status: 415 | 500; error: string }
  | { kind: 'bad-body'; error: string };

/**
 * The template for the request's Content-Type (application/json when none is sent), rendered; with
 * no template for it, the passthrough behaviour decides: WHEN_NO_MATCH passes the body through,
 * WHEN_NO_TEMPLATES only when there are no templates at all, NEVER refuses (415).
 */
function requestPayload(
  mapping: Mapping,
  view: RequestView,
  body: string,
  authorizer: Record<string, string> | undefined,
): RequestPayload {
  const type = mediaType(header(view, 'content-type')) ?? 'application/json';
  const template = mapping.requestTemplates[type];
  if (template === undefined) {
    const none = Object.keys(mapping.requestTemplates).length === 0;
    const passes =
      mapping.passthroughBehavior === 'WHEN_NO_MATCH' ||
      (mapping.passthroughBehavior === 'WHEN_NO_TEMPLATES' && none);
    return passes
      ? { kind: 'ok', payload: body }
      : {
          kind: 'refused',
          status: 415,
          error: `no request template for ${type} and passthroughBehavior ${mapping.passthroughBehavior}`,
        };
  }
  try {
    return { kind: 'ok', payload: renderTemplate(template, { view, body, authorizer }) };
  } catch (error) {
    if (error instanceof BodyNotJson) return { kind: 'bad-body', error: error.message };
    return {
      kind: 'refused',
      status: 500,
      error: `the request template for ${type} failed: ${(error as Error).message.slice(0, 300)}`,
    };
  }
}

/** A mock answers with the status code its request template renders (`{"statusCode": 200}`); 200 without one. */
function mockOutcome(payload: string, fail: Fail): Outcome | IntegrationResult {
  if (payload.trim() === '') return { selector: '200', body: '' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    // API Gateway also reads an unquoted key: the Serverless Framework's CORS preflight mocks
    // are deployed with `{statusCode:200}` and answer 200.
    const loose = /^\s*\{\s*statusCode\s*:\s*(\d{3})\s*\}\s*$/.exec(payload);
    if (loose) return { selector: loose[1]!, body: '' };
    return fail(
      'the mock integration\'s request template did not render JSON such as {"statusCode": 200}',
    );
  }
  const code =
    typeof parsed === 'object' && parsed !== null
      ? (parsed as { statusCode?: unknown }).statusCode
      : undefined;
  if (code === undefined) return { selector: '200', body: '' };
  if (!Number.isInteger(Number(code)) || Number(code) < 100 || Number(code) > 599)
    return fail(`the mock integration's statusCode ${JSON.stringify(code)} is not an HTTP status`);
  return { selector: String(Number(code)), body: '' };
}

/** The Lambda gets the rendered payload as its event; its result, or its error object, is the response template's input. */
async function lambdaOutcome(
  name: string,
  payload: string,
  view: RequestView,
  deps: IntegrationDeps,
  fail: Fail,
): Promise<Outcome | IntegrationResult> {
  const handler = deps.functions.get(name);
  if (!handler) return fail(`no local function named ${name}`);
  let event: unknown;
  try {
    event = payload.trim() === '' ? {} : JSON.parse(payload);
  } catch {
    // Lambda refuses a payload that is not JSON (InvalidRequestContentException); API Gateway answers 500.
    return fail(`the request template did not render JSON for ${name}`);
  }
  const result = await invoke(handler, event, {
    functionName: name,
    requestId: view.requestId,
    timeoutMs: deps.timeoutMs,
    now: deps.now,
    region: LOCAL_API.region,
    account: LOCAL_API.account,
  });
  if (result.kind === 'timeout')
    return fail(`${name} gave no answer within ${deps.timeoutMs} ms`, 'INTEGRATION_TIMEOUT');
  if (result.kind === 'error')
    return {
      selector: result.message,
      body: JSON.stringify({ errorMessage: result.message, errorType: 'Error' }),
    };
  return { selector: undefined, body: JSON.stringify(result.value ?? null) };
}

/** The first response whose pattern matches the whole selector, else `default`. */
export function selectResponse(
  responses: readonly IntegrationResponse[],
  selector: string | undefined,
): IntegrationResponse | undefined {
  const matched =
    selector === undefined ? undefined : responses.find((r) => r.pattern?.test(selector));
  return matched ?? responses.find((r) => r.pattern === undefined);
}

/** The response template for the first Accept type, else application/json, else the first one. */
function pickTemplate(
  templates: Readonly<Record<string, string>>,
  view: RequestView,
): [string, string] | undefined {
  const accept = mediaType(header(view, 'accept')?.split(',')[0]);
  const keys = Object.keys(templates);
  const key =
    keys.find((k) => k === accept) ?? keys.find((k) => k === 'application/json') ?? keys[0];
  return key === undefined ? undefined : [key, templates[key]!];
}

function methodResponse(
  selected: IntegrationResponse,
  view: RequestView,
  body: string,
  authorizer: Record<string, string> | undefined,
): IntegrationResult['response'] {
  const input: TemplateInput = { view, body, authorizer };
  const picked = pickTemplate(selected.templates, view);
  const out =
    picked === undefined ? body : picked[1] === '' ? '' : renderTemplate(picked[1], input);
  const headers: Record<string, string> = { 'content-type': picked?.[0] ?? 'application/json' };
  for (const [name, source] of Object.entries(selected.headers)) {
    const value = headerValue(source, input);
    if (value === undefined) continue;
    if (name.toLowerCase() === 'content-type') delete headers['content-type'];
    headers[name] = value;
  }
  return {
    status: selected.statusCode,
    headers: { ...headers, 'x-amzn-RequestId': view.requestId },
    body: out,
  };
}

function headerValue(source: HeaderSource, input: TemplateInput): string | undefined {
  switch (source.kind) {
    case 'literal':
      return source.value;
    case 'body': {
      if (source.path === undefined) return input.body;
      let value: unknown;
      try {
        value = queryPath(JSON.parse(input.body), source.path);
      } catch {
        return undefined;
      }
      return value === undefined || value === null
        ? undefined
        : typeof value === 'string'
          ? value
          : JSON.stringify(value);
    }
    case 'integrationHeader':
      // Neither a mock nor a Lambda invocation has integration response headers.
      return undefined;
    case 'context': {
      const rc = {
        ...input.view.requestContext,
        ...(input.authorizer ? { authorizer: input.authorizer } : {}),
      };
      const value = source.path
        .split('.')
        .reduce<unknown>(
          (o, k) =>
            typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined,
          rc,
        );
      return value === undefined || value === null ? undefined : String(value);
    }
    case 'stageVariable':
      return input.view.stageVariables[source.name];
  }
}
