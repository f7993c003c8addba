// `tollgate serve --template` in the test process, on a free port, with its start-up lines kept.
import { serve, type RunningServer } from '../../src/cli/serve-command.js';

export async function serveTemplate(
  template: string,
  more: Record<string, unknown> = {},
): Promise<{ running: RunningServer; lines: string[] }> {
  const lines: string[] = [];
  const running = await serve(
    { template, port: '0', ...more },
    (line) => lines.push(line),
    () => {},
  );
  return { running, lines };
}
