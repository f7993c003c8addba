// The document-wide API Gateway settings besides routes and authorizers, read after them:
// gateway responses, CORS, request validators, and the warnings for what is not emulated.
import { parseCors, type CorsConfig } from './cors.js';
import { mergeWarnings, scanExtensions, type ExtensionWarning } from './extensions.js';
import { parseGatewayResponses, type GatewayResponses } from './gateway-responses.js';
import type { ApiFlavour } from './openapi.js';

export interface ApiSettings {
  /** REST: customised gateway responses; undefined when the document has none. */
  readonly gatewayResponses: GatewayResponses | undefined;
  /** HTTP APIs: `x-amazon-apigateway-cors`; undefined when the document has none. */
  readonly cors: CorsConfig | undefined;
}

type Obj = Record<string, unknown>;

/** Throws SettingIssue for a setting AWS's import would refuse. */
export function readApiSettings(doc: Obj, flavour: ApiFlavour): { settings: ApiSettings; warnings: Array<ExtensionWarning & { more: number }> } {
  const warnings: ExtensionWarning[] = scanExtensions(doc, flavour);
  let gatewayResponses: GatewayResponses | undefined;
  const gr = doc['x-amazon-apigateway-gateway-responses'];
  if (gr !== undefined && flavour === 'rest') {
    const parsed = parseGatewayResponses(gr);
    gatewayResponses = parsed.responses;
    warnings.push(...parsed.warnings);
  }
  const cors = doc['x-amazon-apigateway-cors'] !== undefined && flavour === 'http' ? parseCors(doc['x-amazon-apigateway-cors']) : undefined;
  return { settings: { gatewayResponses, cors }, warnings: mergeWarnings(warnings) };
}
