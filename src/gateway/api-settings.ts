// The document-wide API Gateway settings besides routes and authorizers, read after them:
// gateway responses, CORS, request validators, and the warnings for what is not emulated.
import { parseCors, type CorsConfig } from './cors.js';
import { mergeWarnings, scanExtensions, type ExtensionWarning } from './extensions.js';
import { parseGatewayResponses, type GatewayResponses } from './gateway-responses.js';
import type { ApiFlavour } from './openapi.js';
import { readValidations, type Validations } from './validators.js';

export interface ApiSettings {
  /** REST: customised gateway responses; undefined when the document has none. */
  readonly gatewayResponses: GatewayResponses | undefined;
  /** HTTP APIs: `x-amazon-apigateway-cors`; undefined when the document has none. */
  readonly cors: CorsConfig | undefined;
  /** REST: what each method's request validator checks, keyed `METHOD /template`; empty without validators. */
  readonly validations: Validations | undefined;
}

type Obj = Record<string, unknown>;

/** Throws SettingIssue for a setting AWS's import would refuse. */
export function readApiSettings(
  doc: Obj,
  flavour: ApiFlavour,
): { settings: ApiSettings; warnings: Array<ExtensionWarning & { more: number }> } {
  const warnings: ExtensionWarning[] = scanExtensions(doc, flavour);
  let gatewayResponses: GatewayResponses | undefined;
  const gr = doc['x-amazon-apigateway-gateway-responses'];
  if (gr !== undefined && flavour === 'rest') {
    const parsed = parseGatewayResponses(gr);
    gatewayResponses = parsed.responses;
    warnings.push(...parsed.warnings);
  }
  const cors =
    doc['x-amazon-apigateway-cors'] !== undefined && flavour === 'http'
      ? parseCors(doc['x-amazon-apigateway-cors'])
      : undefined;
  const validations = flavour === 'rest' ? readValidations(doc) : undefined;
  return { settings: { gatewayResponses, cors, validations }, warnings: mergeWarnings(warnings) };
}
