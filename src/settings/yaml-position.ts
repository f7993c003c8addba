// The one positioned YAML (and JSON) loader: config files, rules files (the CLI's, never the
// Lambda's), with every problem at its line and column, and where a key path points in a document.
import { readFileSync } from 'node:fs';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from 'yaml';
import type { KeyPath } from '../core/key-path.js';

/**
 * Where `path` is in the document: the value it names, the key itself when `atKey`, or, for a key
 * that is not there (a missing required key), the deepest enclosing node that is.
 */
export function offsetOf(doc: Document, path: KeyPath, atKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = start(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const part = path[i];
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part),
      );
      if (!pair) break;
      const keyStart = start(pair.key) ?? offset;
      const last = i === path.length - 1;
      // A key with nothing after it (`audience:`) has an empty value: point at the key.
      const empty =
        pair.value === null ||
        (isScalar(pair.value) && pair.value.value === null && !pair.value.source);
      if ((last && atKey) || empty) return keyStart;
      node = pair.value;
      offset = start(node) ?? keyStart;
    } else if (isSeq(node) && typeof part === 'number' && part < node.items.length) {
      node = node.items[part];
      offset = start(node) ?? offset;
    } else {
      break;
    }
  }
  return offset;
}

function start(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/** A problem in a file, at a position (1-based; 0 when there is none, as for a missing file). */
export interface PositionedError {
  /** The path as given to the loader. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path: KeyPath;
  readonly message: string;
}

/** What a document's check gives: its value, or its problems, each at a key path. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly errors: readonly { path: KeyPath; message: string; atKey?: boolean }[];
    };

export type Positioned<T> =
  | {
      ok: true;
      value: T;
      /** The plain data (JSON-compatible), e.g. to bundle for the Lambda. */
      document: unknown;
      /** A positioned error for a path of this file (`atKey`: at the key, not its value). */
      errorAt(path: KeyPath, message: string, atKey?: boolean): PositionedError;
    }
  | { ok: false; errors: PositionedError[] };

/** A file's text, or why it cannot be read: `there is no such file`, `it is a folder`, the error code. */
export function readText(path: string): { text: string } | { why: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'there is no such file'
        : code === 'EISDIR'
          ? 'it is a folder'
          : (code ?? String(error));
    return { why };
  }
}

/**
 * The one positioned YAML (so JSON) loader: parses `source` as read from `file` and checks the
 * plain data with `check`; every problem at its line and column, in file order. YAML syntax gives
 * its first problem only (later ones are usually its echoes); a key must be a plain scalar.
 */
export function loadPositioned<T>(
  source: string,
  file: string,
  check: (document: unknown) => Checked<T>,
): Positioned<T> {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, path: KeyPath, message: string): PositionedError => {
    const { line, col } = lines.linePos(offset);
    return { file, line, column: col, path, message };
  };
  const syntax = doc.errors[0] ?? doc.warnings[0];
  if (syntax)
    return {
      ok: false,
      errors: [at(syntax.pos[0], [], `is not valid YAML: ${syntax.message.split('\n')[0]}`)],
    };
  const complex = complexKey(doc);
  if (complex !== undefined)
    return {
      ok: false,
      errors: [at(complex, [], 'a key must be a plain name, not a list or a mapping')],
    };
  let document: unknown;
  try {
    document = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, errors: [at(0, [], `cannot be read: ${(error as Error).message}`)] };
  }
  const result = check(document);
  if (result.ok) {
    const errorAt = (path: KeyPath, message: string, atKey?: boolean): PositionedError =>
      at(offsetOf(doc, path, atKey === true), path, message);
    return { ok: true, value: result.value, document, errorAt };
  }
  const located = result.errors.map((e, index) => ({
    index,
    offset: offsetOf(doc, e.path, e.atKey === true),
    e,
  }));
  located.sort((a, b) => a.offset - b.offset || a.index - b.index);
  return { ok: false, errors: located.map(({ offset, e }) => at(offset, e.path, e.message)) };
}

/** Where the first key that is a list or a mapping (it has no setting name) starts, if any. */
function complexKey(doc: Document): number | undefined {
  let offset: number | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (pair.key === null || isScalar(pair.key)) return undefined;
      offset = (pair.key as Node).range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}
