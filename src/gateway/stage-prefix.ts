// Real invoke URLs carry the stage as the first path segment (`https://ID.execute-api.REGION.amazonaws.com/prod/pets`).
// The local gateway serves both that form and the unprefixed one (`/pets`), so URLs copied from AWS work.
import type { RouteMatch, RouteTable } from './routes.js';

export interface Routed {
  /** The resource path, without the stage. */
  readonly path: string;
  /** The stage this request is for: the configured one, or (none configured) the one its URL names. */
  readonly stage: string;
  readonly match: RouteMatch | undefined;
}

// API Gateway's stage names: letters, digits, hyphens and underscores.
const FIRST_SEGMENT = /^\/([A-Za-z0-9_-]+)(\/.*)?$/;

/**
 * Routes a request whose path may start with the stage. A first segment equal to the configured
 * stage is the stage whenever the rest routes. With no stage configured (`anyStage`), a first
 * segment is taken as the stage only when the path as sent matches no route of its own (an HTTP
 * API's `$default` does not count) and the rest does.
 */
export function routeWithStage(
  routes: RouteTable,
  method: string,
  path: string,
  stage: string,
  anyStage: boolean,
): Routed {
  const direct = routes.match(method, path);
  const m = FIRST_SEGMENT.exec(path);
  if (m) {
    const rest = m[2] ?? '/';
    if (m[1] === stage) {
      const stripped = routes.match(method, rest);
      if (stripped && !(stripped.operation.isDefault && direct && !direct.operation.isDefault))
        return { path: rest, stage, match: stripped };
    } else if (anyStage && (!direct || direct.operation.isDefault)) {
      const stripped = routes.match(method, rest);
      if (stripped && !stripped.operation.isDefault)
        return { path: rest, stage: m[1]!, match: stripped };
    }
  }
  return { path, stage, match: direct };
}
