// Runs a built handler module in its own process, as Lambda does: a fresh module with its own
// environment, whose stdout (log lines) the parent sends to its stderr. One event, one answer.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

interface Job {
  readonly file: string;
  readonly exportName: string;
  readonly event: unknown;
}

process.once('message', (job: Job) => {
  void (async () => {
    let answer: { result: unknown } | { error: string } | { usage: string };
    try {
      const mod = (await import(pathToFileURL(resolve(job.file)).href)) as Record<string, unknown>;
      const fn = mod[job.exportName];
      if (typeof fn !== 'function') answer = { usage: `${job.file} has no exported function ${job.exportName}` };
      else {
        try {
          answer = { result: await (fn as (event: unknown, context: unknown) => Promise<unknown>)(job.event, { awsRequestId: 'tollgate-invoke' }) };
        } catch (error) {
          answer = { error: error instanceof Error ? error.message : String(error) };
        }
      }
    } catch (error) {
      // An import error: a module that throws at load (bad configuration) or a missing file.
      answer = { usage: `cannot load ${job.file}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
    }
    process.send!(answer, () => process.exit(0));
  })();
});
