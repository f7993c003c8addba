// The servers of the gateway bench, in one process of their own: a bare node:http server in front
// of the PetStore backend (the floor), and the local gateway with Tollgate's own authorizer, built
// as `tollgate serve` builds it. stdout is /dev/null (the gateway and the authorizer log a line per
// request, as they do in `tollgate serve`); the ports and the results travel over IPC.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const { authorizerConfig, createAuthorizer, createHandler } = await dist('index.js');
const { createGateway } = await dist('gateway/gateway.js');
const { createGatewayServer } = await dist('gateway/server.js');
const { parseApi } = await dist('gateway/openapi.js');
const { handler: pets } = await import(
  pathToFileURL(join(ROOT, 'examples', 'pets', 'pets.mjs')).href
);

const { env } = JSON.parse(process.env.BENCH_GATEWAY_SERVERS);

// Idle keep-alive connections wait while the other servers take their turn; node's default of
// 5 s would close them under the load generator, which would then see resets instead of answers.
const KEEP_ALIVE_MS = 120_000;

/** The bench's own API document, so the example's routes and rules may change without moving it. */
function apiDocument(ttlSeconds) {
  const arn = (name) =>
    `arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:${name}/invocations`;
  return `openapi: 3.0.1
info: { title: GatewayBench, version: '1.0' }
components:
  securitySchemes:
    tollgate:
      type: apiKey
      in: header
      name: Authorization
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: token
        authorizerUri: ${arn('tollgate')}
        identityValidationExpression: '^Bearer [A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$'
        authorizerResultTtlInSeconds: ${ttlSeconds}
security:
  - tollgate: []
paths:
  /pets:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: ${arn('pets')}
`;
}

/** A gateway with its own authorizer instance (own JWKS client, own verified-token cache). */
async function gatewayServer(ttlSeconds) {
  const authorizer = createAuthorizer(authorizerConfig(env));
  await authorizer.warmUp();
  const api = parseApi(apiDocument(ttlSeconds), `gateway-bench-ttl${ttlSeconds}.yaml`);
  const functions = new Map([
    ['tollgate', createHandler(authorizer)],
    ['pets', pets],
  ]);
  const server = createGatewayServer(createGateway({ api, functions }));
  server.server.keepAliveTimeout = KEEP_ALIVE_MS;
  const { port } = await server.listen(0, '127.0.0.1');
  return port;
}

/**
 * The floor: what any server answering GET /pets from this backend must do, and nothing more: read
 * the request, give the handler a proxy-like event (a fixed principal, no authorizer), write its answer.
 */
async function bareServer() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      const [path] = (req.url ?? '/').split('?');
      if (req.method !== 'GET' || path !== '/pets') return void res.writeHead(404).end();
      const requestId = randomUUID();
      const event = {
        resource: '/pets',
        path,
        httpMethod: 'GET',
        headers: req.headers,
        queryStringParameters: null,
        pathParameters: null,
        body: null,
        isBase64Encoded: false,
        requestContext: {
          resourcePath: '/pets',
          httpMethod: 'GET',
          stage: 'local',
          requestId,
          authorizer: { principalId: 'bare' },
        },
      };
      try {
        const answer = await pets(event);
        const body = Buffer.from(answer.body ?? '', 'utf8');
        res
          .writeHead(answer.statusCode, {
            ...answer.headers,
            'content-length': body.length,
            'x-amzn-RequestId': requestId,
          })
          .end(body);
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

try {
  const ports = {
    bare: await bareServer(),
    cached: await gatewayServer(300),
    distinct: await gatewayServer(300),
    uncached: await gatewayServer(0),
  };
  process.send({ ports });
} catch (error) {
  process.send({ error: String(error?.stack ?? error) }, () => process.exit(0));
}
// 'cpu' around every batch gives the servers' own CPU time per request; 'stop' ends the bench
// and the peak RSS goes back with the acknowledgement.
process.on('message', (m) => {
  if (m === 'cpu') process.send({ cpu: process.cpuUsage() });
  if (m === 'stop')
    process.send({ maxRssKb: process.resourceUsage().maxRSS }, () => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
