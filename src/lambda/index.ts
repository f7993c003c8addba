import { coldStart } from './cold-start.js';

/**
 * The Lambda entry point (`index.handler`) for every authorizer shape, built once per container at
 * init (Lambda's Node.js runtime awaits a top-level await before the first invocation).
 */
export const handler = await coldStart();
