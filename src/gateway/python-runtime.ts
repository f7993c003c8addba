// The Python Lambda runtime's contract, as AWS's runtime interface client (awslambdaric) gives
// it: how a handler name is read, and how a sandbox that exits reports the invocation it had.
// Pure; the process that runs the handler is python-worker.ts, the bridge runtime/python/.
// Sources: docs/emulation.md, "Python functions".
import { basename, dirname, extname } from 'node:path';
import { RuntimeError } from './lambda-runtime.js';

export const PYTHON_RUNTIMES = [
  'python3.9',
  'python3.10',
  'python3.11',
  'python3.12',
  'python3.13',
  'python3.14',
] as const;
export type PythonRuntime = (typeof PYTHON_RUNTIMES)[number];
/** What a `.py` handler with no runtime declared is labelled (AWS_EXECUTION_ENV). */
export const DEFAULT_PYTHON_RUNTIME: PythonRuntime = 'python3.12';
/** The function a `FILE.py` handler with no `#FUNCTION` names: the Lambda console's default. */
export const DEFAULT_PYTHON_FUNCTION = 'lambda_handler';

export const isPythonRuntime = (value: unknown): value is PythonRuntime =>
  (PYTHON_RUNTIMES as readonly unknown[]).includes(value);

/** A Python handler: the code root (sys.path[0] and the working directory), the module, the function. */
export interface PythonHandler {
  readonly kind: 'python';
  readonly root: string;
  /** As the runtime imports it: `lambda_handlers`, or `src/auth` (slashes become dots). */
  readonly module: string;
  readonly function: string;
  /** The module's file, for --watch and messages. */
  readonly file: string;
  /** The name as the user wrote it. */
  readonly label: string;
}

/** Whether a handler spec names a Python file: `auth.py`, `auth.py#fn`. */
export const isPythonPath = (spec: string): boolean =>
  /\.py$/i.test(spec.includes('#') ? spec.slice(0, spec.lastIndexOf('#')) : spec);

/**
 * `PATH.py[#FUNCTION]` (the file's folder is the code root), or Lambda's `DIR/MODULE.FUNCTION`
 * relative to `codeDir`, split at the last dot as the runtime does (`pkg.mod.handler`: module
 * `pkg.mod`).
 */
export function parsePythonHandler(
  spec: string,
  codeDir: string,
  resolvePath: (dir: string, path: string) => string,
): PythonHandler {
  if (isPythonPath(spec)) {
    const hash = spec.lastIndexOf('#');
    const path = resolvePath(codeDir, hash > 0 ? spec.slice(0, hash) : spec);
    return {
      kind: 'python',
      root: dirname(path),
      module: basename(path, extname(path)),
      function: (hash > 0 ? spec.slice(hash + 1) : '') || DEFAULT_PYTHON_FUNCTION,
      file: path,
      label: spec,
    };
  }
  const dot = spec.lastIndexOf('.');
  if (dot <= 0 || dot === spec.length - 1 || spec.endsWith('/'))
    throw new RuntimeError(
      'Runtime.MalformedHandlerName',
      `Bad handler '${spec}': a Python handler is MODULE.FUNCTION (e.g. lambda_function.lambda_handler) or FILE.py#FUNCTION`,
    );
  const module = spec.slice(0, dot);
  return {
    kind: 'python',
    root: codeDir,
    module,
    function: spec.slice(dot + 1),
    file: resolvePath(codeDir, `${module.replace(/\./g, '/')}.py`),
    label: spec,
  };
}

/** Lambda's errorMessage for an invocation whose runtime process ended (Runtime.ExitError). */
export function exitErrorMessage(
  requestId: string,
  code: number | null,
  signal: string | null,
): string {
  const why =
    signal !== null
      ? `Runtime exited with error: signal: ${signal === 'SIGKILL' ? 'killed' : signal}`
      : code === 0
        ? 'Runtime exited without providing a reason'
        : `Runtime exited with error: exit status ${code}`;
  return `RequestId: ${requestId} Error: ${why}`;
}

/** `3.11` from `3.11.7`; the declared runtime's version from `python3.12`. */
const minor = (version: string): string => version.split('.').slice(0, 2).join('.');

/** A warning when the interpreter is not the declared runtime's version (nothing when none was declared). */
export function versionWarning(
  declared: PythonRuntime | undefined,
  version: string,
  interpreter: string,
): string | undefined {
  if (declared === undefined || minor(declared.slice('python'.length)) === minor(version))
    return undefined;
  return `declares ${declared} but ${interpreter} is Python ${version}: set TOLLGATE_PYTHON to a ${declared.slice('python'.length)} interpreter to run it as deployed`;
}

/** One line for an error the handler's module raised at load: `Runtime.ImportModuleError: ...`, with a hint for a missing module. */
export function initErrorText(
  error: { errorType: string; errorMessage: string },
  interpreter: string,
): string {
  const missing = /No module named '([^']+)'/.exec(error.errorMessage);
  const hint = missing
    ? ` (${interpreter} cannot import ${missing[1]}: install it for that interpreter, or choose one that has it with TOLLGATE_PYTHON)`
    : '';
  return `${error.errorType}: ${error.errorMessage.split('\n')[0]}${hint}`;
}
