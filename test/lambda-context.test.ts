// The context object a local function gets (src/gateway/lambda-runtime.ts): the runtime's keys in
// the runtime's order, and callbackWaitsForEmptyEventLoop a property of each context alone, though
// every context shares one getter and setter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lambdaContext, type NodeRuntime } from '../src/gateway/lambda-runtime.js';

const contextFor = (runtime: NodeRuntime, requestId: string): Record<string, unknown> =>
  lambdaContext({
    runtime,
    functionName: 'pets',
    region: 'us-east-1',
    account: '123456789012',
    requestId,
    memoryMb: 256,
    deadline: 10_000,
    now: () => 7_000,
    complete: () => {},
  });

test('a nodejs22.x context: keys in order, callbackWaitsForEmptyEventLoop own, enumerable, not configurable, and per context', () => {
  const first = contextFor('nodejs22.x', 'a');
  const second = contextFor('nodejs22.x', 'b');
  assert.deepEqual(Object.keys(first), [
    'functionName',
    'functionVersion',
    'invokedFunctionArn',
    'memoryLimitInMB',
    'awsRequestId',
    'logGroupName',
    'logStreamName',
    'getRemainingTimeInMillis',
    'callbackWaitsForEmptyEventLoop',
    'succeed',
    'fail',
    'done',
  ]);
  const descriptor = Object.getOwnPropertyDescriptor(first, 'callbackWaitsForEmptyEventLoop');
  assert.equal(descriptor?.enumerable, true);
  assert.equal(descriptor?.configurable, false);
  assert.equal(first.callbackWaitsForEmptyEventLoop, true);
  first.callbackWaitsForEmptyEventLoop = false;
  assert.equal(first.callbackWaitsForEmptyEventLoop, false);
  assert.equal(second.callbackWaitsForEmptyEventLoop, true, 'another context keeps its own value');
  assert.equal(JSON.parse(JSON.stringify(first)).callbackWaitsForEmptyEventLoop, false);
  assert.equal((first.getRemainingTimeInMillis as () => number)(), 3_000);
  assert.equal(first.invokedFunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:pets');
});

test('a nodejs24.x context has neither callbackWaitsForEmptyEventLoop nor succeed/fail/done', () => {
  const context = contextFor('nodejs24.x', 'c');
  assert.equal('callbackWaitsForEmptyEventLoop' in context, false);
  assert.equal('succeed' in context, false);
  assert.equal(context.memoryLimitInMB, '256');
});
