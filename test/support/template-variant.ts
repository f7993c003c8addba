// A variant of a CloudFormation test template (test/fixtures/sam), edited and written elsewhere, its
// cdk.out asset paths pointing at the fixtures' code; cfn-lint must pass it, as for the fixtures.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseCloudFormation } from '../../src/template/cfn-yaml.js';
import { cfnLint } from './aws-tools.js';

type Obj = Record<string, unknown>;
export type Template = {
  Parameters: Obj;
  Resources: Record<string, { Type: string; Properties: Obj; Metadata?: Obj }>;
};

export const readTemplate = (path: string): Template =>
  parseCloudFormation(readFileSync(path, 'utf8'), path).value as unknown as Template;

/** Writes the edited fixture to dir/name and returns its path. */
export function templateVariant(
  fixture: string,
  dir: string,
  name: string,
  edit: (t: Template) => void,
): string {
  const t = readTemplate(fixture);
  for (const r of Object.values(t.Resources)) {
    const asset = r.Metadata?.['aws:asset:path'];
    if (typeof asset === 'string') r.Metadata!['aws:asset:path'] = resolve(dirname(fixture), asset);
  }
  edit(t);
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(t, null, 1));
  assert.equal(cfnLint(path), '', name);
  return path;
}

/** An AWS::ApiGatewayV2::TYPE resource of the API (ApiId by Ref). */
export const httpApiPart = (
  type: 'Route' | 'Integration' | 'Stage' | 'Authorizer',
  properties: Obj,
  apiId = 'PetsHttpApi',
): Template['Resources'][string] => ({
  Type: `AWS::ApiGatewayV2::${type}`,
  Properties: { ApiId: { Ref: apiId }, ...properties },
});

/** A Route's Target, as CDK writes it: integrations/ID. */
export const integrationTarget = (id: string): Obj => ({
  'Fn::Join': ['', ['integrations/', { Ref: id }]],
});
