// The route table: which operation serves a concrete request, with API Gateway's precedence.
import {
  isHttpMethod,
  requestSegments,
  routeKey,
  templateMatches,
} from '../core/rules-template.js';
import type { Segment } from '../core/rules-types.js';
import type { Operation } from './openapi.js';

export interface RouteMatch {
  readonly operation: Operation;
  /** Values of `{param}` and `{proxy+}` (the rest of the path, `/`-joined), as sent (not decoded). */
  readonly pathParameters: Readonly<Record<string, string>>;
}

export interface RouteTable {
  /** In precedence order, most specific first. */
  readonly operations: readonly Operation[];
  match(method: string, path: string): RouteMatch | undefined;
}

const KIND_RANK = { literal: 0, param: 1, greedy: 2 } as const;

/** Segment by segment a literal beats `{param}`, which beats `{proxy+}`; then a method beats ANY. */
function compare(a: Operation, b: Operation): number {
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const d = KIND_RANK[a.segments[i]!.kind] - KIND_RANK[b.segments[i]!.kind];
    if (d !== 0) return d;
  }
  if (a.segments.length !== b.segments.length) return a.segments.length - b.segments.length;
  return (a.method === 'ANY' ? 1 : 0) - (b.method === 'ANY' ? 1 : 0);
}

function parameters(
  segments: readonly Segment[],
  parts: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  segments.forEach((s, i) => {
    if (s.kind === 'param') out[s.name] = parts[i]!;
    else if (s.kind === 'greedy') out[s.name] = parts.slice(i).join('/');
  });
  return out;
}

export function compileRoutes(
  operations: readonly Operation[],
): { ok: true; table: RouteTable } | { ok: false; duplicate: Operation; message: string } {
  // `/pets/{id}` and `/pets/{petId}` are one resource to API Gateway: a second is a conflict, not an alternative.
  const seen = new Map<string, Operation>();
  // An HTTP API's $default route answers whatever no other route matches.
  const fallback = operations.find((op) => op.isDefault);
  for (const op of operations) {
    if (op.isDefault) continue;
    const key = routeKey(op.method, op.segments);
    const first = seen.get(key);
    if (first)
      return {
        ok: false,
        duplicate: op,
        message: `repeats ${first.method} ${first.template} (same method and path shape)`,
      };
    seen.set(key, op);
  }
  const ordered = operations.filter((op) => !op.isDefault).sort(compare);
  return {
    ok: true,
    table: {
      operations: fallback ? [...ordered, fallback] : ordered,
      match(method, path) {
        const parts = requestSegments(path);
        if (parts === undefined || !isHttpMethod(method)) return undefined;
        const operation = ordered.find(
          (op) =>
            (op.method === method || op.method === 'ANY') && templateMatches(op.segments, parts),
        );
        if (operation) return { operation, pathParameters: parameters(operation.segments, parts) };
        return fallback ? { operation: fallback, pathParameters: {} } : undefined;
      },
    },
  };
}
