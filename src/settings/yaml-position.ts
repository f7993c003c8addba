// Where a key path points in a YAML (or JSON) document, so errors can name a line and column.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document } from 'yaml';
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
