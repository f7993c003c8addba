// How an authorizer's policy is judged (src/aws/policy-eval.ts), against IAM's wildcard rules: `*`
// any run of characters, `?` exactly one, case-sensitive, an explicit Deny over any Allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgePolicy } from '../src/aws/policy-eval.js';

const API = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod';
const policy = (...statements: { Effect: string; Resource: string; Condition?: unknown }[]) => ({
  Version: '2012-10-17',
  Statement: statements.map((s) => ({ Action: 'execute-api:Invoke', ...s })),
});
const verdict = (document: unknown, arn: string) => judgePolicy(document, arn).verdict;

test('a resource wildcard spans every character, line breaks included, as a StringLike condition does', () => {
  const allow = policy({ Effect: 'Allow', Resource: `${API}/GET/files/*` });
  assert.equal(verdict(allow, `${API}/GET/files/a/b`), 'allow');
  assert.equal(verdict(allow, `${API}/GET/files/a\nb`), 'allow');
  assert.equal(verdict(allow, `${API}/GET/files/a\r\nb`), 'allow');
  const one = policy({ Effect: 'Allow', Resource: `${API}/GET/files/?` });
  assert.equal(
    verdict(one, `${API}/GET/files/\n`),
    'allow',
    '? is one character, a line break too',
  );
  assert.equal(verdict(one, `${API}/GET/files/ab`), 'implicit-deny', '? is exactly one');
});

test('a resource is matched case-sensitively and literally: dots and brackets are not patterns', () => {
  assert.equal(
    verdict(policy({ Effect: 'Allow', Resource: `${API}/GET/pets` }), `${API}/get/pets`),
    'implicit-deny',
  );
  const dotted = policy({ Effect: 'Allow', Resource: `${API}/GET/a.b` });
  assert.equal(verdict(dotted, `${API}/GET/a.b`), 'allow');
  assert.equal(verdict(dotted, `${API}/GET/axb`), 'implicit-deny');
  assert.equal(
    verdict(policy({ Effect: 'Allow', Resource: `${API}/GET/[a]` }), `${API}/GET/a`),
    'implicit-deny',
  );
});

test('an explicit Deny matching through a wildcard wins over an Allow', () => {
  const document = policy(
    { Effect: 'Allow', Resource: `${API}/*` },
    { Effect: 'Deny', Resource: `${API}/DELETE/*` },
  );
  assert.equal(verdict(document, `${API}/GET/pets`), 'allow');
  assert.equal(verdict(document, `${API}/DELETE/pets/1\n2`), 'explicit-deny');
});
