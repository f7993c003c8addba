// AWS's own tools on a template: the SAM translator (CloudFormation's SAM transform) and cfn-lint,
// both Python, installed in the machine image (.ci/run checks them).
import { spawnSync } from './child.js';
import assert from 'node:assert/strict';

// CodeUri must be an S3 URI for the transform, as `sam package` leaves it; the caller replaces it.
const SAM_TRANSFORM = `
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.yaml_helper import yaml_parse
class PolicyLoader:
    def load(self):
        return {"AWSLambdaBasicExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}
try:
    print(json.dumps({"ok": True, "template": transform(yaml_parse(sys.stdin.read()), {}, PolicyLoader())}))
except InvalidDocumentException as e:
    print(json.dumps({"ok": False, "errors": [str(c) for c in e.causes]}))
`;

export type Translated =
  | {
      ok: true;
      template: {
        Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
      };
    }
  | { ok: false; errors: string[] };

/** The SAM transform of a template's text (YAML with short tags, or JSON). */
export function samTransformText(text: string): Translated {
  const r = spawnSync('python3', ['-c', SAM_TRANSFORM], {
    input: text,
    encoding: 'utf8',
    env: { ...process.env, AWS_DEFAULT_REGION: 'us-east-1' },
  });
  assert.equal(
    r.status,
    0,
    `python3 with aws-sam-translator (pip list; .ci/run checks it): ${r.error?.message ?? r.stderr}`,
  );
  return JSON.parse(r.stdout) as Translated;
}

/** cfn-lint's findings on a template file: empty when it passes (but for the checks ignored). */
export function cfnLint(file: string, ignoreChecks: readonly string[] = []): string {
  const ignore = ignoreChecks.length ? ['--ignore-checks', ...ignoreChecks] : [];
  const r = spawnSync('cfn-lint', [...ignore, '--', file], { encoding: 'utf8' });
  if (r.error) assert.fail(`cfn-lint (pip list; .ci/run checks it): ${r.error.message}`);
  return r.status === 0 ? '' : `${r.stdout}${r.stderr}`;
}
