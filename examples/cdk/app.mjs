// The PetStore behind Tollgate's authorizer, as a CDK app (docs/using-with-cdk.md):
//
//   npm run bundle                              # Tollgate's Lambda: dist/authorizer/
//   cd examples/cdk && npm ci && npx cdk synth  # or `node app.mjs`: cdk.out/TollgatePetStore.template.json
//   npx tollgate serve --template examples/cdk/cdk.out/TollgatePetStore.template.json \
//     --parameter-overrides TokenIssuer=... Audience=...
//
// The same API as sam-template.yaml beside this file, and served with the same answers:
//   GET  /pets           no authorizer
//   GET  /pets/{petId}   Tollgate's TOKEN authorizer (the bundle, a 300 s result cache)
//   POST /pets           a Cognito user pool authorizer (ID tokens of PetsUserPool)
// The issuer, audience and required scopes are stack parameters, as in deploy/template.yaml.
// A second stack, TollgatePetStoreHttp, is the same backend as an HTTP API with a JWT authorizer.
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigatewayv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');

/** examples/pets/ holds only pets.mjs, which imports nothing: that folder is the function's code. */
function petsBackend(scope) {
  return new lambda.Function(scope, 'PetsFunction', {
    description: 'PetStore backend (examples/pets/pets.mjs)',
    code: lambda.Code.fromAsset(join(ROOT, 'examples', 'pets')),
    handler: 'pets.handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    memorySize: 128,
  });
}

export class PetStoreStack extends Stack {
  /**
   * @param {import('constructs').Construct} scope
   * @param {string} id
   * @param {{ authorizerCode?: string } & import('aws-cdk-lib').StackProps} props
   */
  constructor(scope, id, props = {}) {
    super(scope, id, props);
    const param = (name, description, defaultValue) =>
      new CfnParameter(this, name, {
        type: 'String',
        description,
        ...(defaultValue === undefined ? { minLength: 1 } : { default: defaultValue }),
      }).valueAsString;
    const environment = {
      TOKEN_ISSUER: param('TokenIssuer', 'The exact iss of your tokens (TOKEN_ISSUER)'),
      AUDIENCE: param('Audience', 'Accepted aud values (AUDIENCE)'),
      JWKS_URI: param('JwksUri', 'Where the signing keys are (JWKS_URI); empty: discovery', ''),
      REQUIRED_SCOPES: param('RequiredScopes', 'Scopes every token needs', 'read:pets'),
    };

    // Tollgate's bundle (`npm run bundle`); the authorizer's settings are its environment.
    const authorizerFunction = new lambda.Function(this, 'TollgateAuthorizerFunction', {
      description: 'Tollgate JWT authorizer (npm run bundle)',
      code: lambda.Code.fromAsset(props.authorizerCode ?? join(ROOT, 'dist/authorizer')),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      memorySize: 256,
      timeout: Duration.seconds(5),
      environment,
    });
    const petsFunction = petsBackend(this);
    const pool = new cognito.UserPool(this, 'PetsUserPool');
    // A stable logical id: the pool id locally is REGION_PetsUserPool (--cognito maps it).
    /** @type {cognito.CfnUserPool} */ (pool.node.defaultChild).overrideLogicalId('PetsUserPool');

    this.addApi(authorizerFunction, petsFunction, pool);
  }

  addApi(authorizerFunction, petsFunction, pool) {
    const api = new apigateway.RestApi(this, 'PetStoreApi', {
      restApiName: 'petstore',
      deployOptions: { stageName: 'prod' },
      cloudWatchRole: false,
    });
    const tollgate = new apigateway.TokenAuthorizer(this, 'TollgateAuthorizer', {
      handler: authorizerFunction,
      resultsCacheTtl: Duration.seconds(300),
      validationRegex: '^Bearer [-0-9A-Za-z._~+/]+=*$',
    });
    const cognitoAuthorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'PoolAuthorizer', {
      cognitoUserPools: [pool],
    });
    const pets = new apigateway.LambdaIntegration(petsFunction);
    const petsResource = api.root.addResource('pets');
    petsResource.addMethod('GET', pets);
    petsResource.addMethod('POST', pets, { authorizer: cognitoAuthorizer });
    petsResource.addResource('{petId}').addMethod('GET', pets, { authorizer: tollgate });
  }
}

/**
 * The PetStore as an HTTP API (aws-apigatewayv2's HttpApi) behind API Gateway's own JWT
 * authorizer: GET /pets open, GET /pets/{petId} with read:pets, POST /pets with write:pets.
 */
export class PetStoreHttpStack extends Stack {
  constructor(scope, id, props = {}) {
    super(scope, id, props);
    const param = (name, description) =>
      new CfnParameter(this, name, { type: 'String', minLength: 1, description }).valueAsString;
    const authorizer = new HttpJwtAuthorizer(
      'JwtAuthorizer',
      param('TokenIssuer', 'The issuer: API Gateway reads its OpenID discovery document'),
      { jwtAudience: [param('Audience', 'The accepted aud (or client_id)')] },
    );
    // pets.mjs reads the REST event's fields (httpMethod, resource): payload 1.0.
    const pets = new HttpLambdaIntegration('Pets', petsBackend(this), {
      payloadFormatVersion: apigatewayv2.PayloadFormatVersion.VERSION_1_0,
    });
    const api = new apigatewayv2.HttpApi(this, 'PetStoreHttpApi', { apiName: 'petstore-http' });
    const { GET, POST } = apigatewayv2.HttpMethod;
    api.addRoutes({ path: '/pets', methods: [GET], integration: pets });
    api.addRoutes({
      path: '/pets/{petId}',
      methods: [GET],
      integration: pets,
      authorizer,
      authorizationScopes: ['read:pets'],
    });
    api.addRoutes({
      path: '/pets',
      methods: [POST],
      integration: pets,
      authorizer,
      authorizationScopes: ['write:pets'],
    });
  }
}

/**
 * The app; `outdir` and `authorizerCode` for synthesizing elsewhere (tests). The asset metadata
 * (aws:asset:path) is what `cdk synth` writes by default and what `tollgate serve` reads.
 * @param {{ outdir?: string, authorizerCode?: string }} [options]
 */
export function createApp(options = {}) {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: { 'aws:cdk:enable-asset-metadata': true },
  });
  // Environment-agnostic: synthesizes offline, without an account; deploys to the CLI's.
  new PetStoreStack(app, 'TollgatePetStore', {
    ...(options.authorizerCode ? { authorizerCode: options.authorizerCode } : {}),
  });
  new PetStoreHttpStack(app, 'TollgatePetStoreHttp');
  return app;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  createApp().synth();
