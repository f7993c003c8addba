// The logical ids the Serverless Framework gives what it compiles (lib/plugins/aws/lib/naming.js),
// so `resources:` that refer to them (`Ref: ApiGatewayRestApi`) find them.
const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const alphaNumeric = (s: string): string => upperFirst(s.replace(/[^0-9A-Za-z]/g, ''));

export const REST_API_ID = 'ApiGatewayRestApi';
export const HTTP_API_ID = 'HttpApi';

export const functionLogicalId = (name: string): string =>
  `${upperFirst(name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore'))}LambdaFunction`;

/** `api/{id}/x-y` → `ApiIdVarXDashy`: each path part normalized. */
export const pathName = (path: string): string =>
  path
    .split('/')
    .map((part) => alphaNumeric(part.replace(/-/g, 'Dash').replace(/\{(.*)\}/g, '$1Var')))
    .join('');

export const resourceLogicalId = (path: string): string => `ApiGatewayResource${pathName(path)}`;

export const methodLogicalId = (path: string, method: string): string =>
  `ApiGatewayMethod${pathName(path)}${upperFirst(method.toLowerCase())}`;

export const authorizerLogicalId = (name: string): string =>
  `${alphaNumeric(name)}ApiGatewayAuthorizer`;

/** The name an authorizer given by ARN gets: the function's name after its last `-`. */
export function nameFromArn(arn: string): string {
  const last = arn.split(':').pop() ?? arn;
  return last.split('-').pop()!;
}
