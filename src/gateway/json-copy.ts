// What a value looks like after a trip through JSON, as Lambda passes events and answers, without
// writing and parsing the text when the value is plain data (the gateway's own events always are).
// The round trip of a 2 KB event costs about ten times the copy.

/** Returned by plainCopy for anything it does not copy exactly as JSON would. */
const NOT_PLAIN: unique symbol = Symbol('not plain');

// Deeper than this, the copy gives up and JSON decides (JSON throws on a cycle; the copy would loop).
const MAX_DEPTH = 64;

/** `JSON.parse(JSON.stringify(value))`, or the same failure (a throw). */
export function jsonCopy(value: unknown): unknown {
  const copied = plainCopy(value, 0);
  if (copied !== NOT_PLAIN) return copied;
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

// JSON writes an array's undefined, function or symbol member as null, and leaves an object's out.
const skipped = (v: unknown): boolean =>
  v === undefined || typeof v === 'function' || typeof v === 'symbol';

/**
 * The JSON round trip of strings, finite numbers, booleans, null, arrays and objects whose prototype
 * is Object.prototype or null, with no toJSON and no `__proto__` key; NOT_PLAIN for anything else
 * (dates, class instances, bigints, cycles), which the caller sends through JSON itself.
 */
function plainCopy(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      // -0 is written `0`; NaN and the infinities `null`.
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
    case 'object':
      if (v === null) return null;
      if (depth >= MAX_DEPTH) return NOT_PLAIN;
      return Array.isArray(v) ? arrayCopy(v, depth) : objectCopy(v, depth);
    default:
      return NOT_PLAIN;
  }
}

function arrayCopy(v: unknown[], depth: number): unknown {
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  const out: unknown[] = new Array<unknown>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    const copied = skipped(x) ? null : plainCopy(x, depth + 1);
    if (copied === NOT_PLAIN) return NOT_PLAIN;
    out[i] = copied;
  }
  return out;
}

function objectCopy(v: object, depth: number): unknown {
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  // for-in with the own-property check visits what Object.keys lists, in its order, without the list.
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    const x = (v as Record<string, unknown>)[k];
    if (skipped(x)) continue;
    // Assigning `__proto__` would set the prototype, where JSON.parse makes an own property.
    if (k === '__proto__') return NOT_PLAIN;
    const copied = plainCopy(x, depth + 1);
    if (copied === NOT_PLAIN) return NOT_PLAIN;
    out[k] = copied;
  }
  return out;
}
