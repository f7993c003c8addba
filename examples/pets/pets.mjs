// A small PetStore backend for the local gateway: a Lambda proxy-integration handler, as it would
// run behind API Gateway. It shows who called (the authorizer's principalId and context).
const pets = [
  { id: '1', type: 'dog', price: 249.99 },
  { id: '2', type: 'cat', price: 124.99 },
  { id: '3', type: 'fish', price: 0.99 },
];

const json = (statusCode, body) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export async function handler(event) {
  const caller = event.requestContext?.authorizer ?? {};
  const who = { principalId: caller.principalId, scope: caller.scope };
  // PETS_STORE_NAME is this function's own variable (serve.functions.pets.environment).
  if (event.httpMethod === 'GET' && event.resource === '/pets')
    return json(200, { store: process.env.PETS_STORE_NAME ?? 'PetStore', pets, caller: who });
  if (event.httpMethod === 'GET' && event.resource === '/pets/{petId}') {
    const pet = pets.find((p) => p.id === event.pathParameters?.petId);
    return pet ? json(200, { pet, caller: who }) : json(404, { message: 'No such pet' });
  }
  if (event.httpMethod === 'POST' && event.resource === '/pets') {
    let body;
    try {
      body = JSON.parse(event.body ?? '{}');
    } catch {
      return json(400, { message: 'The body must be JSON' });
    }
    const pet = {
      id: String(pets.length + 1),
      type: String(body.type ?? 'unknown'),
      price: Number(body.price ?? 0),
    };
    pets.push(pet);
    return json(201, { pet, caller: who });
  }
  return json(404, { message: 'Not found' });
}
