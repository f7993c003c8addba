// What a template declares that the local gateway does not run: named in warnings at start, so
// nothing the user wrote is ignored silently.
import type { Stack } from './stack.js';
import type { TemplateWarning } from './functions.js';

/** Read by the template reader, or with nothing that changes what the local gateway answers. */
const HANDLED = new Set([
  'AWS::Serverless::Api',
  'AWS::Serverless::HttpApi',
  'AWS::Serverless::Function',
  'AWS::Lambda::Function',
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Authorizer',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Authorizer',
  'AWS::ApiGatewayV2::Stage',
  // Deployments, invoke permissions, roles and CDK's metadata decide nothing a request sees locally.
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Account',
  'AWS::ApiGatewayV2::Deployment',
  'AWS::Lambda::Permission',
  'AWS::IAM::Role',
  'AWS::CDK::Metadata',
]);

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);

/** What stands in locally for a resource type that is not created, where something does. */
const INSTEAD: Readonly<Record<string, string>> = {
  'AWS::Cognito::UserPool':
    'is not created locally: Cognito authorizers read its tokens with the keys --cognito REGION_LOGICALID=dev|JWKS_URL names, else from Cognito',
  'AWS::Cognito::UserPoolClient':
    'is not created locally: its Ref, the app client id a JWT authorizer takes as audience, is its logical id (tollgate token --cognito access --aud LOGICALID)',
};

/** Resources of other types, and function events other than Api/HttpApi. */
export function unusedParts(stack: Stack, warnings: TemplateWarning[]): void {
  for (const [id, r] of stack.resources) {
    if (!stack.exists(id)) continue;
    if (!HANDLED.has(r.Type))
      warnings.push({
        path: ['Resources', id, 'Type'],
        message: `${r.Type} ${INSTEAD[r.Type] ?? 'is not created locally: functions that use it reach the real service or fail'}`,
      });
    if (!FUNCTION_TYPES.has(r.Type)) continue;
    const events = r.Properties.Events;
    if (typeof events !== 'object' || events === null) continue;
    for (const [eventId, e] of Object.entries(events as Record<string, { Type?: unknown }>))
      if (e?.Type !== 'Api' && e?.Type !== 'HttpApi')
        warnings.push({
          path: ['Resources', id, 'Properties', 'Events', eventId, 'Type'],
          message: `${String(e?.Type)} events are not emulated: only Api and HttpApi events are served`,
        });
  }
}
