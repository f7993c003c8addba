// One cold start: a fresh process loads one stack's bundle and answers one event. Nothing is
// imported before the clock starts, so no stack finds a module already loaded for it; Node's own
// boot happens before this line runs and is left out, as the timing starts at the import().
const [bundleUrl] = process.argv.slice(2);
const event = {
  type: 'TOKEN',
  authorizationToken: `Bearer ${process.env.BENCH_TOKEN}`,
  methodArn: process.env.BENCH_METHOD_ARN,
};

// The clock is process.hrtime: the `performance` global loads perf_hooks on first use (0.5-0.8 ms),
// which Lambda's runtime never loads, so a stack that uses it must pay for it here too.
// Node opens process.stdout lazily, on first use (about 1.5 ms). In Lambda the runtime owns the
// log stream before it loads any handler, so that belongs to boot, not to the stack that happens
// to log first; what a handler's own first console.log costs beyond it is still counted.
void process.stdout;

let report;
try {
  const started = process.hrtime.bigint();
  const { handler } = await import(bundleUrl);
  const result = await handler(event);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const effect = result?.policyDocument?.Statement?.[0]?.Effect;
  report =
    effect === 'Allow'
      ? { ms, maxRssKb: process.resourceUsage().maxRSS }
      : { error: `answered ${JSON.stringify(result)} instead of an Allow` };
} catch (error) {
  report = { error: `threw ${error?.stack ?? error}` };
}
process.send(report, () => process.exit(0));
