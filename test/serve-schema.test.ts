// The serve: section's JSON Schema (for editors) and its checker state each rule once: the schema
// takes its keys, choices, bounds and patterns from the checker, so a section one accepts the
// other accepts too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { SERVE_SCHEMA } from '../src/cli/serve-schema.js';
import {
  ASSUMPTION_CHOICES,
  readServeSettings,
  SERVE_KEYS,
  SERVE_RULES,
} from '../src/cli/serve-settings.js';

type Schema = { properties: Record<string, Schema>; oneOf: Schema[]; additionalProperties: Schema };
const serve = SERVE_SCHEMA as unknown as Schema;
const keys = (schema: Schema): string[] => Object.keys(schema.properties).sort();
const sorted = (list: readonly string[]): string[] => [...list].sort();

test("the schema's keys are the checker's, at every level", () => {
  assert.deepEqual(keys(serve), sorted(SERVE_KEYS));
  assert.deepEqual(keys(serve.properties.page!.oneOf[1]!), sorted(SERVE_RULES.pageKeys));
  assert.deepEqual(keys(serve.properties.websocket!), sorted(SERVE_RULES.websocketKeys));
  const fn = serve.properties.functions!.additionalProperties.oneOf[1]!;
  assert.deepEqual(keys(fn), sorted(SERVE_RULES.functionKeys));
  assert.deepEqual(keys(serve.properties.assumptions!), sorted(Object.keys(ASSUMPTION_CHOICES)));
});

test('a section with a Python function, Cognito pools and every assumption passes both, and an unknown key fails both', () => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(SERVE_SCHEMA);
  const section = {
    api: 'examples/petstore.openapi.yaml',
    functions: { py: { handler: 'examples/pets.py', runtime: 'python3.12', memorySize: 256 } },
    cognito: { 'eu-west-1_Pw7Kx2mQa': 'dev' },
    assumptions: { validationMatch: 'full', requirePrincipalId: false, httpDeny: 'unauthorized' },
    websocket: { identitySource: 'route.request.header.Authorization' },
    page: { issuer: 'https://id.example.com/', clientId: 'c', connectOrigins: ['https://a.b'] },
  };
  assert.ok(validate(section), JSON.stringify(validate.errors));
  const checked = readServeSettings(section, process.cwd());
  assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.issue));
  const unknown = { ...section, cognitoPools: {} };
  assert.equal(validate(unknown), false);
  assert.equal(readServeSettings(unknown, process.cwd()).ok, false);
});

test("the example config's serve: section passes the schema", () => {
  const doc = parseYaml(readFileSync('examples/serve.config.yaml', 'utf8')) as { serve: unknown };
  const validate = new Ajv({ strict: false }).compile(SERVE_SCHEMA);
  assert.ok(validate(doc.serve), JSON.stringify(validate.errors));
});
