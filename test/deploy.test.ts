// deploy/template.yaml and `tollgate export`: the template parses as CloudFormation reads it, every
// reference in it resolves, each function's Handler is a module and export its package really has,
// its API is examples/petstore.openapi.yaml as `tollgate export` writes it (the OpenAPI form of the
// same API), and an exported document is what API Gateway imports.
import { ROOT } from './support/paths.js';
import { cfnLint, samTransformText } from './support/aws-tools.js';
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from './support/child.js';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';
import { Ajv } from 'ajv';
import { parse, type CollectionTag, type ScalarTag } from 'yaml';
import { parseApi } from '../src/gateway/openapi.js';
import { exportApi, ExportError } from '../src/gateway/export.js';
import { PRESETS } from '../src/settings/presets.js';
import {
  formatConfigError,
  lambdaConfigDocument,
  loadConfigSource,
} from '../src/settings/config-file.js';
import { startJwksServer } from './support/jwks-server.js';
import { generateKey, ISSUER } from './support/keys.js';

const TEMPLATE = join(ROOT, 'deploy/template.yaml');
const SOURCE_API = join(ROOT, 'examples/petstore.openapi.yaml');
const EXPORTED = join(ROOT, 'dist/petstore.openapi.yaml');
const BIN = join(ROOT, 'bin/tollgate.js');

// ---------------------------------------------------------------------------------------------
// CloudFormation's YAML: the short-form intrinsic functions, mapped to their long forms.

const SHORT_FORMS = [
  'Ref',
  'Sub',
  'GetAtt',
  'Join',
  'If',
  'Equals',
  'Not',
  'Select',
  'Split',
  'FindInMap',
  'ImportValue',
  'Base64',
  'Condition',
  'And',
  'Or',
  'GetAZs',
  'Cidr',
  'Transform',
];

const CFN_TAGS = SHORT_FORMS.flatMap((short): (ScalarTag | CollectionTag)[] => {
  const key = short === 'Ref' || short === 'Condition' ? short : `Fn::${short}`;
  // `!GetAtt Res.Attr.Sub` is [Res, "Attr.Sub"]: the resource name has no dot, the attribute may.
  const wrap = (value: unknown): unknown => ({
    [key]:
      short === 'GetAtt' && typeof value === 'string'
        ? [value.slice(0, value.indexOf('.')), value.slice(value.indexOf('.') + 1)]
        : value,
  });
  return [
    { tag: `!${short}`, resolve: (value: string) => wrap(value) },
    { tag: `!${short}`, collection: 'seq', resolve: (seq) => wrap(seq.toJSON()) },
    { tag: `!${short}`, collection: 'map', resolve: (map) => wrap(map.toJSON()) },
  ];
});

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Resource {
  Type: string;
  Properties?: Obj;
  Condition?: string;
  DependsOn?: string | string[];
}
interface Template {
  Transform?: string | string[];
  Parameters?: Record<string, { Type: string; Default?: unknown; AllowedValues?: unknown[] }>;
  Conditions?: Obj;
  Resources: Record<string, Resource>;
  Outputs?: Obj;
}

function loadTemplate(): Template {
  return parse(readFileSync(TEMPLATE, 'utf8'), { customTags: CFN_TAGS }) as Template;
}

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NotificationARNs',
  'AWS::NoValue',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);

interface Reference {
  readonly kind: 'ref' | 'getatt' | 'sub' | 'condition';
  readonly name: string;
  readonly attribute?: string;
  readonly where: string;
}

/** The names `${...}` in an Fn::Sub string uses (`${!Literal}` is an escape, not a reference). */
function subNames(text: string): { name: string; attribute?: string }[] {
  return [...text.matchAll(/\$\{([^}!][^}]*)\}/g)].map((m) => {
    const token = m[1]!.trim();
    if (token.startsWith('AWS::')) return { name: token };
    const dot = token.indexOf('.');
    return dot < 0
      ? { name: token }
      : { name: token.slice(0, dot), attribute: token.slice(dot + 1) };
  });
}

/** Every Ref, Fn::GetAtt, Fn::Sub variable and condition name in a value, with where it is. */
function referencesIn(value: unknown, where: string): Reference[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => referencesIn(item, `${where}[${i}]`));
  if (!isObj(value)) return [];
  const out: Reference[] = [];
  for (const [key, item] of Object.entries(value)) {
    const here = `${where}.${key}`;
    if (key === 'Ref' && typeof item === 'string')
      out.push({ kind: 'ref', name: item, where: here });
    else if (key === 'Fn::GetAtt') {
      const [name, attribute] =
        typeof item === 'string'
          ? [item.slice(0, item.indexOf('.')), item.slice(item.indexOf('.') + 1)]
          : (item as string[]);
      out.push({ kind: 'getatt', name: name!, attribute: attribute!, where: here });
    } else if (key === 'Fn::Sub') {
      const [text, locals] = typeof item === 'string' ? [item, {}] : (item as [string, Obj]);
      for (const ref of subNames(text))
        if (!(ref.name in locals)) out.push({ kind: 'sub', ...ref, where: here });
      out.push(...referencesIn(locals, here));
    } else if (key === 'Fn::If' && Array.isArray(item)) {
      out.push(
        { kind: 'condition', name: String(item[0]), where: here },
        ...referencesIn(item.slice(1), here),
      );
    } else if (key === 'Condition' && typeof item === 'string') {
      out.push({ kind: 'condition', name: item, where: here });
    } else out.push(...referencesIn(item, here));
  }
  return out;
}

/** The references that do not resolve against the template, as readable lines. */
function unresolved(references: readonly Reference[], template: Template): string[] {
  const params = new Set(Object.keys(template.Parameters ?? {}));
  const resources = template.Resources;
  const conditions = new Set(Object.keys(template.Conditions ?? {}));
  return references.flatMap((r) => {
    if (r.kind === 'condition')
      return conditions.has(r.name) ? [] : [`${r.where}: condition ${r.name}`];
    if (r.kind === 'getatt' || r.attribute !== undefined)
      return r.name in resources ? [] : [`${r.where}: ${r.name}.${r.attribute} names no resource`];
    return params.has(r.name) || r.name in resources || PSEUDO_PARAMETERS.has(r.name)
      ? []
      : [`${r.where}: ${r.name} is no parameter, resource or pseudo parameter`];
  });
}

/** A template value with Refs to parameters replaced by the given values (or the parameter's default). */
function resolveParameters(
  value: unknown,
  template: Template,
  values: Record<string, string>,
): unknown {
  if (isObj(value) && typeof value.Ref === 'string' && Object.keys(value).length === 1) {
    const name = value.Ref;
    const v = values[name] ?? template.Parameters?.[name]?.Default;
    assert.ok(v !== undefined, `parameter ${name} needs a value`);
    return String(v);
  }
  if (isObj(value))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveParameters(v, template, values)]),
    );
  return value;
}

/** Fn::Sub objects filled in as CloudFormation would, with sample pseudo parameters and function ARNs. */
function substituteSamples(document: unknown): unknown {
  return JSON.parse(JSON.stringify(document), (_key, value: unknown) =>
    isObj(value) && typeof value['Fn::Sub'] === 'string'
      ? value['Fn::Sub'].replace(
          /\$\{([^}.]+)(?:\.Arn)?\}/g,
          (_m, name: string) =>
            ({
              'AWS::Partition': 'aws',
              'AWS::Region': 'eu-west-1',
              'AWS::AccountId': '111122223333',
            })[name] ?? `arn:aws:lambda:eu-west-1:111122223333:function:${name}`,
        )
      : value,
  ) as unknown;
}

/** The official OpenAPI 3.0 schema (draft-04) in the form Ajv (draft-07) reads. */
function openApiValidator() {
  // test/fixtures/openapi-3.0.schema.json: the OpenAPI Initiative's schema for 3.0.x documents,
  // id https://spec.openapis.org/oas/3.0/schema/2021-09-28 (Apache-2.0), unchanged.
  const schema = JSON.parse(
    readFileSync(join(ROOT, 'test/fixtures/openapi-3.0.schema.json'), 'utf8'),
  ) as Obj;
  delete schema.id;
  delete schema.$schema;
  // Draft-04's boolean exclusiveMinimum beside minimum is draft-06's numeric exclusiveMinimum.
  const upgrade = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(upgrade);
    if (!isObj(node)) return;
    if (node.exclusiveMinimum === true && typeof node.minimum === 'number') {
      node.exclusiveMinimum = node.minimum;
      delete node.minimum;
    }
    Object.values(node).forEach(upgrade);
  };
  upgrade(schema);
  return new Ajv({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd = ROOT): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function run(args: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

let exportRun: Run;

before(() => {
  // The bundle (test/bundle.test.ts builds it too; build only if it is missing), as docs/deploy.md
  // builds it before `sam deploy`; then the export of the OpenAPI example, which the template's
  // API document must equal.
  if (!existsSync(join(ROOT, 'dist/tollgate-authorizer.zip'))) {
    const r = spawnSync(process.execPath, ['scripts/bundle.mjs'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TOLLGATE_CONFIG: '' },
    });
    assert.equal(r.status, 0, r.stderr);
  }
  exportRun = cli([
    'export',
    '--api',
    'examples/petstore.openapi.yaml',
    '--out',
    'dist/petstore.openapi.yaml',
  ]);
  assert.equal(exportRun.code, 0, exportRun.stderr);
});

// ---------------------------------------------------------------------------------------------
// The template

test('the template is a SAM template with the authorizer, the backend, the API and an invoke permission for each function', () => {
  const t = loadTemplate();
  assert.equal(t.Transform, 'AWS::Serverless-2016-10-31');
  const types = Object.fromEntries(Object.entries(t.Resources).map(([id, r]) => [id, r.Type]));
  assert.equal(types.TollgateAuthorizerFunction, 'AWS::Serverless::Function');
  assert.equal(types.PetsFunction, 'AWS::Serverless::Function');
  assert.equal(types.PetStoreApi, 'AWS::Serverless::Api');
  for (const p of ['TokenIssuer', 'Audience', 'JwksUri', 'StageName'])
    assert.ok(t.Parameters?.[p], `parameter ${p}`);
  assert.equal(t.Parameters!.JwksUri!.Default, '', 'JwksUri is optional');
  assert.equal(t.Parameters!.StageName!.Default, 'prod');

  // Every function gets exactly the invoke permission API Gateway needs, scoped to this API.
  const permissions = Object.values(t.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Permission',
  );
  const byFunction = new Map(
    permissions.map((p) => [
      (p.Properties!.FunctionName as { 'Fn::GetAtt': string[] })['Fn::GetAtt']?.[0],
      p.Properties!,
    ]),
  );
  for (const fn of ['TollgateAuthorizerFunction', 'PetsFunction']) {
    const p = byFunction.get(fn);
    assert.ok(p, `a permission for ${fn}`);
    assert.equal(p.Action, 'lambda:InvokeFunction');
    assert.equal(p.Principal, 'apigateway.amazonaws.com');
    const arn = (p.SourceArn as { 'Fn::Sub': string })['Fn::Sub'];
    assert.match(
      arn,
      /^arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{PetStoreApi\}\//,
      `${fn}: scoped to this API`,
    );
  }
  assert.ok(
    (byFunction.get('TollgateAuthorizerFunction')!.SourceArn as { 'Fn::Sub': string })[
      'Fn::Sub'
    ].endsWith('${PetStoreApi}/authorizers/*'),
    'API Gateway invokes an authorizer as API_ID/authorizers/ID',
  );

  const outputs = JSON.stringify(t.Outputs);
  assert.match(
    outputs,
    /https:\/\/\$\{PetStoreApi\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}\/\$\{StageName\}\//,
  );
});

test('every Ref, Fn::GetAtt and Fn::Sub variable resolves: in the template, its API document included', () => {
  const t = loadTemplate();
  const inTemplate = referencesIn(t, 'template');
  assert.ok(inTemplate.length > 10, `found ${inTemplate.length} references`);
  assert.deepEqual(unresolved(inTemplate, t), []);
  for (const [id, r] of Object.entries(t.Resources)) {
    const deps = r.DependsOn === undefined ? [] : [r.DependsOn].flat();
    for (const d of deps) assert.ok(d in t.Resources, `${id}.DependsOn ${d}`);
  }
  // GetAtt and ${X.Attr} name attributes the resource has.
  for (const r of inTemplate.filter((x) => x.attribute !== undefined)) {
    assert.ok(
      ['AWS::Serverless::Function', 'AWS::Lambda::Function'].includes(t.Resources[r.name]!.Type) &&
        r.attribute === 'Arn',
      `${r.where}: ${r.name}.${r.attribute}`,
    );
  }

  const body = t.Resources.PetStoreApi!.Properties!.DefinitionBody;
  const inDocument = referencesIn(body, 'DefinitionBody');
  assert.ok(inDocument.length >= 2, 'the API document names the functions');
  for (const r of inDocument.filter((x) => x.attribute !== undefined)) {
    assert.equal(
      t.Resources[r.name]!.Type,
      'AWS::Serverless::Function',
      `${r.where}: ${r.name} is a function of the stack`,
    );
    assert.equal(r.attribute, 'Arn');
  }
  // A template with a dangling reference is caught: the check itself can fail.
  assert.deepEqual(
    unresolved(
      referencesIn({ x: { 'Fn::Sub': '${Nope.Arn}/${AWS::Region}/${!Literal}' } }, 't'),
      t,
    ),
    ['t.x.Fn::Sub: Nope.Arn names no resource'],
  );
});

test("the API is examples/petstore.openapi.yaml as tollgate export writes it (one API, two forms), with the authorizer, its result TTL and CORS headers on API Gateway's own 401 and 403", () => {
  const t = loadTemplate();
  const api = t.Resources.PetStoreApi!.Properties!;
  assert.deepEqual(api.StageName, { Ref: 'StageName' });
  // The document users who start from OpenAPI serve and export is the template's own body.
  assert.deepEqual(api.DefinitionBody, parse(readFileSync(EXPORTED, 'utf8')));
  // The comparison can fail: another TTL in the source document is another body.
  const changed = exportApi(
    readFileSync(SOURCE_API, 'utf8').replace(
      'authorizerResultTtlInSeconds: 300',
      'authorizerResultTtlInSeconds: 30',
    ),
    SOURCE_API,
  ).text;
  assert.notDeepEqual(api.DefinitionBody, parse(changed));

  const body = api.DefinitionBody as Obj;
  const responses = body['x-amazon-apigateway-gateway-responses'] as Record<
    string,
    { responseParameters: Obj }
  >;
  for (const type of ['UNAUTHORIZED', 'ACCESS_DENIED']) {
    const headers = responses[type]?.responseParameters;
    assert.ok(headers, `a gateway response for ${type}`);
    // Gateway response header values are mapping expressions: a literal is quoted.
    assert.equal(headers['gatewayresponse.header.Access-Control-Allow-Origin'], "'*'");
    assert.match(
      String(headers['gatewayresponse.header.Access-Control-Allow-Headers']),
      /^'.*Authorization.*'$/,
    );
  }
  const deployed = parseApi(JSON.stringify(substituteSamples(body)), TEMPLATE);
  const tollgate = [...deployed.authorizers.values()].find(
    (a) => 'functionName' in a && a.functionName === 'TollgateAuthorizerFunction',
  );
  assert.ok(tollgate, "the API's authorizer invokes TollgateAuthorizerFunction");
  assert.equal(tollgate.ttlSeconds, 300);
});

test("the functions' settings: a Node.js runtime Lambda still creates, an authorizer timeout API Gateway waits for, the issuer settings from parameters", () => {
  const t = loadTemplate();
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    engines: { node: string };
  };
  const minimum = Number(/\d+/.exec(pkg.engines.node)![0]);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const [id, r] of Object.entries(t.Resources).filter(
    ([, r]) => r.Type === 'AWS::Serverless::Function',
  )) {
    const runtime = String(r.Properties!.Runtime);
    const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
    assert.ok(major >= minimum, `${id}: ${runtime} runs the code (engines ${pkg.engines.node})`);
    // Lambda stopped creating nodejs20.x functions on 2026-06-01.
    assert.ok(major >= 22, `${id}: ${runtime} can still be created`);
  }
  const authorizer = t.Resources.TollgateAuthorizerFunction!.Properties!;
  const timeout = Number(authorizer.Timeout);
  assert.ok(timeout <= 10, 'API Gateway waits at most 10 s for an authorizer');
  assert.ok(
    timeout * 1000 >= 2500 + 1000,
    'the timeout covers JWKS_TIMEOUT_MS (2500 by default) plus a second',
  );

  const variables = (authorizer.Environment as { Variables: Obj }).Variables;
  assert.deepEqual(variables.TOKEN_ISSUER, { Ref: 'TokenIssuer' });
  assert.deepEqual(variables.AUDIENCE, { Ref: 'Audience' });
  assert.deepEqual(variables.JWKS_URI, { Ref: 'JwksUri' });
  // Every variable set is one the handler reads (the README's configuration table), none invented.
  for (const name of Object.keys(variables))
    assert.ok(readme.includes(`| \`${name}\` |`), `${name} is a documented setting`);
  // The Preset parameter offers exactly the presets the handler knows.
  assert.deepEqual(
    [...(t.Parameters!.Preset!.AllowedValues as string[])].sort(),
    [...PRESETS].sort(),
  );
});

test('CodeUri exists beside the template after the build', () => {
  const t = loadTemplate();
  const paths = Object.entries(t.Resources)
    .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
    .map(([id, r]) => [id, resolve(dirname(TEMPLATE), String(r.Properties!.CodeUri))] as const);
  assert.equal(paths.length, 2);
  for (const [id, path] of paths) assert.ok(existsSync(path), `${id}: ${path}`);
  // `sam deploy` uploads a folder CodeUri whole: only the function's own files, never another
  // example's node_modules (examples/cdk) beside it.
  for (const [id, path] of paths.filter(([, p]) => statSync(p).isDirectory())) {
    const files = readdirSync(path, { recursive: true }).map(String);
    assert.ok(!files.some((f) => f.split(/[\\/]/).includes('node_modules')), `${id}: ${path}`);
    const bytes = files.reduce((sum, f) => sum + statSync(join(path, f)).size, 0);
    assert.ok(bytes < 100_000, `${id}: ${path} holds ${bytes} bytes`);
  }
});

test("each function's Handler is a module at its package's root exporting that function, loadable as Lambda loads it", async () => {
  const t = loadTemplate();
  const key = generateKey('RS256');
  const jwks = await startJwksServer([key.jwk]);
  try {
    for (const [id, r] of Object.entries(t.Resources).filter(
      ([, r]) => r.Type === 'AWS::Serverless::Function',
    )) {
      const props = r.Properties!;
      const codeUri = resolve(dirname(TEMPLATE), String(props.CodeUri));
      // A zip is unpacked as Lambda does into /var/task; a folder is the package as it is.
      let root = codeUri;
      if (codeUri.endsWith('.zip')) {
        root = mkdtempSync(join(tmpdir(), 'tollgate-task-'));
        for (const [name, bytes] of Object.entries(unzipSync(readFileSync(codeUri)))) {
          mkdirSync(dirname(join(root, name)), { recursive: true });
          writeFileSync(join(root, name), bytes);
        }
      }
      const handler = String(props.Handler);
      const dot = handler.lastIndexOf('.');
      const [moduleName, exportName] = [handler.slice(0, dot), handler.slice(dot + 1)];
      // Lambda's Node.js runtime tries .js, .mjs, .cjs in that order.
      const file = ['.js', '.mjs', '.cjs']
        .map((ext) => join(root, moduleName + ext))
        .find((f) => existsSync(f));
      assert.ok(file, `${id}: ${handler} names no ${moduleName}.js/.mjs/.cjs at the package root`);
      if (id === 'TollgateAuthorizerFunction')
        assert.equal(file, join(root, 'index.mjs'), "the bundle's entry");
      // The function's own environment from the template, with sample parameter values.
      const env = resolveParameters(
        (props.Environment as { Variables?: Obj } | undefined)?.Variables ?? {},
        t,
        {
          TokenIssuer: ISSUER,
          Audience: 'https://api.example.com',
          JwksUri: jwks.url,
        },
      ) as Record<string, string>;
      const probe =
        'const m = await import(process.argv[1]); console.log(`export ${process.argv[2]}: ${typeof m[process.argv[2]]}`);';
      const loaded = await run(
        ['--input-type=module', '-e', probe, pathToFileURL(file).href, exportName],
        env,
        root,
      );
      assert.equal(loaded.code, 0, `${id}: ${loaded.stderr}`);
      // The handler's init logs go to stdout too: find the probe's own line.
      assert.ok(
        loaded.stdout.split('\n').includes(`export ${exportName}: function`),
        `${id}: ${file} exports ${exportName}: ${loaded.stdout}`,
      );
    }
    assert.ok(
      jwks.hits() >= 1,
      'the authorizer fetched its keys at init, configured from the template',
    );
  } finally {
    await jwks.close();
  }
});

// ---------------------------------------------------------------------------------------------
// tollgate export

test("the exported PetStore document: Lambda ARNs templated, no account, nothing local, accepted by the gateway's parser", () => {
  const text = readFileSync(EXPORTED, 'utf8');
  assert.ok(!text.includes('123456789012'), 'no local account remains');
  assert.ok(!/x-tollgate-/.test(text), 'no local-only key remains');
  assert.ok(!/!Sub|!Ref|!GetAtt/.test(text), 'AWS::Include needs the long forms');
  assert.match(
    text,
    /Fn::Sub: arn:\$\{AWS::Partition\}:apigateway:\$\{AWS::Region\}:lambda:path\/2015-03-31\/functions\/\$\{PetsFunction\.Arn\}\/invocations/,
  );
  assert.match(
    exportRun.stderr,
    /templated tollgate -> TollgateAuthorizerFunction \(1 URI\), pets -> PetsFunction \(\d+ URIs\)/,
  );

  const source = parseApi(readFileSync(SOURCE_API, 'utf8'), SOURCE_API);
  const exported = parseApi(JSON.stringify(substituteSamples(parse(text))), EXPORTED);
  // The same routes, each with the same authorizer, served by the function the template names.
  const routes = (api: typeof source) =>
    api.routes.operations
      .map((o) => `${o.method} ${o.template} ${o.authorizer ?? '-'} ${o.integration.type}`)
      .sort();
  assert.deepEqual(routes(exported), routes(source));
  const functions = exported.routes.operations.flatMap((o) =>
    o.integration.type === 'aws_proxy' ? [o.integration.functionName] : [],
  );
  assert.ok(functions.length > 0 && functions.every((f) => f === 'PetsFunction'));
});

test('the exported PetStore document validates against the OpenAPI 3.0 schema', () => {
  const validate = openApiValidator();
  const document = parse(readFileSync(EXPORTED, 'utf8')) as unknown;
  const ok = validate(document);
  const problems = validate.errors?.map((e) => `${e.instancePath} ${e.message}`) ?? [];
  // API Gateway also needs them: a mock integration's response maps onto the method response of its status code.
  const hint = problems.some((p) => p.endsWith("must have required property 'responses'"))
    ? ` (give each operation of ${SOURCE_API} at least responses: { '200': { description: OK } }: docs/deploy.md)`
    : '';
  assert.ok(ok, `OpenAPI 3.0: ${JSON.stringify(problems)}${hint}`);
});

/** A document using everything export treats specially. */
const LOCAL_PARTS = `openapi: 3.0.1
info: { title: Local parts, version: '1' }
x-tollgate-note: served locally only
components:
  securitySchemes:
    jwt:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: request
        identitySource: method.request.header.Authorization
        authorizerUri: arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:edge-auth/invocations
        authorizerResultTtlInSeconds: 60
        x-tollgate-rules: ./rules.yaml
security: [{ jwt: [] }]
paths:
  /orders:
    get:
      responses: { '200': { description: OK } }
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders_api:live/invocations
        credentials: arn:aws:iam::123456789012:role/apigw-invoke
  /idp/login:
    get:
      x-tollgate-local: true
      security: []
      responses: { '200': { description: the development sign-in page } }
      x-amazon-apigateway-integration: { type: http_proxy, uri: 'http://127.0.0.1:3000/idp/login', httpMethod: GET }
`;

test('export removes x-tollgate-* keys and what is marked x-tollgate-local, keeps aliases and other ARNs (reported), and validates', () => {
  const result = exportApi(LOCAL_PARTS, 'local.yaml', { format: 'json' });
  const doc = JSON.parse(result.text) as Obj;
  assert.deepEqual(
    [...result.removed].sort(),
    [
      'components.securitySchemes.jwt["x-amazon-apigateway-authorizer"]["x-tollgate-rules"]',
      'paths["/idp/login"]',
      'paths["/idp/login"].get',
      '["x-tollgate-note"]',
    ].sort(),
  );
  assert.deepEqual(Object.keys(doc.paths as Obj), ['/orders']);
  assert.deepEqual(
    result.functions.map((f) => [f.name, f.logicalId, f.role, f.uris]),
    [
      ['edge-auth', 'EdgeAuthAuthorizerFunction', 'authorizer', 1],
      ['orders_api', 'OrdersApiFunction', 'integration', 1],
    ],
  );
  const integration = ((doc.paths as Obj)['/orders'] as { get: Obj }).get[
    'x-amazon-apigateway-integration'
  ] as Obj;
  assert.deepEqual(integration.uri, {
    'Fn::Sub':
      'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${OrdersApiFunction.Arn}:live/invocations',
  });
  // A role ARN is not a function: kept as written, and reported rather than silently left.
  assert.equal(integration.credentials, 'arn:aws:iam::123456789012:role/apigw-invoke');
  assert.deepEqual(result.accountArns, [
    'paths["/orders"].get["x-amazon-apigateway-integration"].credentials: arn:aws:iam::123456789012:role/apigw-invoke',
  ]);
  assert.ok(openApiValidator()(doc), 'a complete document exports to a schema-valid one');
  assert.equal(
    parseApi(JSON.stringify(substituteSamples(doc)), 'x').authorizers.get('jwt')?.ttlSeconds,
    60,
  );

  // A scheme marked local that an exported operation still uses would break the import: refused.
  const localScheme = LOCAL_PARTS.replace('    jwt:\n', '    jwt:\n      x-tollgate-local: true\n');
  assert.throws(
    () => exportApi(localScheme, 'local.yaml'),
    (e: unknown) =>
      e instanceof ExportError && e.code === 'EXPORT_INVALID' && /security/.test(e.message),
  );
});

test('export handles Swagger 2.0, and names functions as told by --function', () => {
  const swagger = `swagger: '2.0'
info: { title: Legacy, version: '1' }
securityDefinitions:
  auth:
    type: apiKey
    in: header
    name: Authorization
    x-amazon-apigateway-authtype: custom
    x-amazon-apigateway-authorizer:
      type: token
      authorizerUri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:tollgate/invocations
paths:
  /items:
    get:
      security: [{ auth: [] }]
      responses: { '200': { description: OK } }
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:items/invocations
`;
  const result = exportApi(swagger, 'legacy.yaml', { logicalIds: { tollgate: 'Authorizer' } });
  assert.match(result.text, /^# Exported by tollgate export from legacy\.yaml/);
  const doc = parse(result.text) as Obj;
  assert.equal(doc.swagger, '2.0', 'still Swagger 2.0');
  const auth = ((doc.securityDefinitions as Obj).auth as Obj)[
    'x-amazon-apigateway-authorizer'
  ] as Obj;
  assert.deepEqual(auth.authorizerUri, {
    'Fn::Sub':
      'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Authorizer.Arn}/invocations',
  });
  assert.ok(!result.text.includes('123456789012'));
  const api = parseApi(JSON.stringify(substituteSamples(doc)), 'legacy.yaml');
  assert.deepEqual(
    api.routes.operations.map((o) =>
      o.integration.type === 'aws_proxy' ? o.integration.functionName : '',
    ),
    ['ItemsFunction'],
  );

  assert.throws(
    () => exportApi(swagger, 'legacy.yaml', { logicalIds: { tollgat: 'X' } }),
    (e: unknown) => e instanceof ExportError && e.code === 'FUNCTION_NOT_IN_DOCUMENT',
  );
  assert.throws(
    () => exportApi(swagger, 'legacy.yaml', { logicalIds: { items: 'Items-Fn' } }),
    (e: unknown) => e instanceof ExportError && e.code === 'LOGICAL_ID_INVALID',
  );
  assert.throws(
    () =>
      exportApi(swagger, 'legacy.yaml', {
        logicalIds: { items: 'Authorizer', tollgate: 'Authorizer' },
      }),
    (e: unknown) => e instanceof ExportError && e.code === 'LOGICAL_ID_CONFLICT',
  );
});

test('tollgate export refuses a bad document with FILE:LINE:COL and exit 2, and bad options with exit 2', () => {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-export-'));
  const bad = join(home, 'bad.yaml');
  writeFileSync(
    bad,
    readFileSync(SOURCE_API, 'utf8').replace(
      'authorizerResultTtlInSeconds: 300',
      'authorizerResultTtlInSeconds: 7200',
    ),
  );
  const r = cli(['export', '--api', bad, '--out', join(home, 'out.yaml')]);
  assert.equal(r.code, 2);
  const line =
    readFileSync(bad, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('7200')) + 1;
  assert.match(
    r.stderr,
    new RegExp(
      `^tollgate: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${line}:\\d+: .*authorizerResultTtlInSeconds`,
    ),
  );
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  assert.ok(!existsSync(join(home, 'out.yaml')), 'nothing written');

  assert.equal(cli(['export']).code, 2);
  assert.equal(cli(['export', '--api', SOURCE_API, '--format', 'xml']).code, 2);
  const unknown = cli(['export', '--api', SOURCE_API, '--function', 'nope=NopeFunction']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no exported URI names a function "nope"/);

  // To stdout, as JSON when asked; the summary goes to stderr only.
  const json = cli([
    'export',
    '--api',
    SOURCE_API,
    '--format',
    'json',
    '--function',
    'pets=Backend',
  ]);
  assert.equal(json.code, 0, json.stderr);
  assert.match(JSON.stringify(JSON.parse(json.stdout)), /\$\{Backend\.Arn\}/);
  assert.match(json.stderr, /pets -> Backend/);
});

// ---------------------------------------------------------------------------------------------
// AWS's own tools: the SAM translator and cfn-lint (Python, in the machine image: .ci/run checks)

// `sam deploy` uploads the code and hands the template to CloudFormation, whose SAM transform is
// this translator (test/support/aws-tools.ts). CodeUri must then be an S3 URI, as `sam package` leaves it.
type Translated =
  { ok: true; template: { Resources: Record<string, Resource> } } | { ok: false; errors: string[] };

const samTransform = (template: Template): Translated =>
  samTransformText(JSON.stringify(template)) as Translated;

/** The template as `sam package` leaves it: each CodeUri an S3 object. */
function packaged(): Template {
  const t = loadTemplate();
  for (const r of Object.values(t.Resources))
    if (r.Properties?.CodeUri !== undefined)
      r.Properties.CodeUri = 's3://tollgate-artifacts/0123456789abcdef';
  return t;
}

test("AWS's SAM translator transforms the template: the authorizer and the gateway responses reach API Gateway in the body", () => {
  const out = samTransform(packaged());
  assert.ok(out.ok, JSON.stringify(out));
  const resources = Object.values(out.template.Resources);
  const restApi = resources.find((r) => r.Type === 'AWS::ApiGateway::RestApi')!;
  const body = restApi.Properties!.Body as Obj;
  assert.ok(
    isObj(body['x-amazon-apigateway-gateway-responses']),
    'the gateway responses reach API Gateway in the body',
  );
  assert.ok(
    isObj((body.components as { securitySchemes: Obj }).securitySchemes.tollgate),
    'the authorizer reaches API Gateway in the body',
  );
  assert.ok(
    resources.some(
      (r) =>
        r.Type === 'AWS::ApiGateway::Stage' &&
        JSON.stringify(r.Properties!.StageName) === '{"Ref":"StageName"}',
    ),
  );
  // The check can fail: a body that is no OpenAPI document is refused.
  const broken = packaged();
  broken.Resources.PetStoreApi!.Properties!.DefinitionBody = 'not a document';
  assert.ok(!samTransform(broken).ok);
});

test('cfn-lint finds nothing wrong with the template', () => {
  assert.equal(cfnLint(TEMPLATE), '');
});

// ---------------------------------------------------------------------------------------------
// npm run deploy:build: the bundle enforces the route rules `npm start` serves

test('npm run deploy:build embeds the PetStore rules npm start serves: read:pets is allowed GET /pets and denied POST /pets', async () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const step = / node scripts\/bundle\.mjs (--config \S+)/.exec(pkg.scripts['deploy:build']!);
  assert.ok(step, `deploy:build bundles with --config: ${pkg.scripts['deploy:build']}`);
  const configFile = join(ROOT, step[1]!.split(' ')[1]!);
  // The same rules file as examples/serve.config.yaml (npm start) names.
  const rulesOf = (file: string): string =>
    resolve(dirname(file), (parse(readFileSync(file, 'utf8')) as { rules: string }).rules);
  assert.equal(rulesOf(configFile), rulesOf(join(ROOT, 'examples/serve.config.yaml')));

  // deploy:build's bundle step, built elsewhere so the other tests' bundle is untouched; no issuer
  // at build time (the stack gives it) and no TOLLGATE_CONFIG.
  const out = mkdtempSync(join(tmpdir(), 'tollgate-deploy-build-'));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  const built = spawnSync(
    process.execPath,
    [
      'scripts/bundle.mjs',
      '--config',
      configFile,
      '--outdir',
      join(out, 'authorizer'),
      '--zip',
      join(out, 'authorizer.zip'),
    ],
    { cwd: ROOT, encoding: 'utf8', env },
  );
  assert.equal(built.status, 0, built.stderr);
  assert.match(built.stdout, /embedded .*tollgate\.config\.yaml .*\(rules inlined\)/);
  assert.ok(
    !readFileSync(join(out, 'authorizer/index.mjs'), 'utf8').includes('.invalid'),
    'no build-time stand-in issuer in the bundle',
  );

  const home = mkdtempSync(join(tmpdir(), 'tollgate-deploy-home-'));
  const token = (
    await run([BIN, 'token', '--sub', 'bob', '--scope', 'read:pets'], {}, home)
  ).stdout.trim();
  const jwks = await startJwksServer(JSON.parse((await run([BIN, 'jwks'], {}, home)).stdout).keys);
  try {
    // The function's environment as the stack sets it; a TOKEN event with each route's methodArn.
    const fnEnv = {
      TOKEN_ISSUER: 'http://localhost:3000/idp',
      AUDIENCE: 'https://petstore.example.com',
      JWKS_URI: jwks.url,
    };
    const arn = 'arn:aws:execute-api:eu-west-1:111122223333:abc123/prod';
    const decide = (method: string) =>
      run(
        [
          BIN,
          'invoke',
          '--token',
          token,
          '--method-arn',
          `${arn}/${method}/pets`,
          '--handler',
          join(out, 'authorizer/index.mjs'),
        ],
        fnEnv,
        home,
      );
    const get = await decide('GET');
    assert.equal(get.code, 0, get.stderr);
    assert.equal(
      (JSON.parse(get.stdout) as { policyDocument: { Statement: { Effect: string }[] } })
        .policyDocument.Statement[0]!.Effect,
      'Allow',
    );
    const post = await decide('POST');
    assert.equal(post.code, 3, `POST /pets with read:pets: ${post.stdout}${post.stderr}`);
    assert.match(post.stdout + post.stderr, /Deny|SCOPE_INSUFFICIENT/);
  } finally {
    await jwks.close();
  }
});

// ---------------------------------------------------------------------------------------------
// The guides and the deploy config

test('deploy/tollgate.config.yaml is what the bundle embeds: the PetStore rules inlined, the issuer left to the stack', () => {
  const env = { TOKEN_ISSUER: 'https://issuer.example.com/', AUDIENCE: 'https://api.example.com' };
  const config = join(ROOT, 'deploy/tollgate.config.yaml');
  const document = lambdaConfigDocument(config, env);
  assert.equal(
    document.issuers,
    undefined,
    "issuers come from TOKEN_ISSUER in the function's environment",
  );
  const rules = document.rules as { routes: { route: string }[] };
  const named = (parse(readFileSync(config, 'utf8')) as { rules: string }).rules;
  const file = parse(readFileSync(resolve(dirname(config), named), 'utf8')) as typeof rules;
  assert.ok(rules.routes.length > 0);
  assert.deepEqual(
    rules.routes.map((r) => r.route),
    file.routes.map((r) => r.route),
    'the rules file inlined',
  );
  // Every route the rules name is a route of the deployed document: rules for routes the API does not have are a typo.
  const api = parseApi(
    JSON.stringify(substituteSamples(parse(readFileSync(EXPORTED, 'utf8')))),
    EXPORTED,
  );
  const served = new Set(api.routes.operations.map((o) => `${o.method} ${o.template}`));
  for (const r of rules.routes)
    assert.ok(
      served.has(r.route) || r.route.startsWith('ANY '),
      `${named}: ${r.route} is not a route of the exported document`,
    );
});

test('the guides name only settings the handler reads, and their config-file examples validate', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const guides = ['deploy.md', 'auth0.md', 'cognito.md', 'okta.md', 'entra-id.md', 'oidc.md'];
  let settings = 0;
  let examples = 0;
  for (const guide of guides) {
    const text = readFileSync(join(ROOT, 'docs', guide), 'utf8');
    // Settings named in a table's first column, or as a variable in an env file.
    const names = [
      ...text.matchAll(
        /^\| `([A-Z][A-Z0-9_]+)`(?:, `([A-Z][A-Z0-9_]+)`)?(?: or `([A-Z][A-Z0-9_]+)`)? \|/gm,
      ),
      ...text.matchAll(/^([A-Z][A-Z0-9_]+)=/gm),
    ]
      .flatMap((m) => m.slice(1).filter(Boolean) as string[])
      .filter((n) => !['TOKEN', 'URL', 'TOKEN_ENDPOINT'].includes(n));
    for (const name of names)
      assert.ok(
        readme.includes(`| \`${name}\` |`),
        `${guide}: ${name} is not a setting in the README's configuration table`,
      );
    settings += names.length;
    for (const block of text.matchAll(/```yaml\n(issuers:[\s\S]*?)```/g)) {
      const result = loadConfigSource(block[1]!, `docs/${guide}`, { env: {}, baseDir: ROOT });
      assert.ok(
        result.ok,
        `${guide}: ${result.ok ? '' : result.errors.map(formatConfigError).join('; ')}`,
      );
      examples++;
    }
  }
  assert.ok(settings >= 20, `checked ${settings} setting names`);
  assert.equal(examples, 5, 'one config-file example per provider guide');
});
