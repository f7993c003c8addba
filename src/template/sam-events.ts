// AWS::Serverless::Function events of type Api and HttpApi: which API each belongs to (an explicit
// RestApiId/ApiId, or SAM's implicit ServerlessRestApi/ServerlessHttpApi), its route and its Auth.
import type { KeyPath } from '../core/key-path.js';
import type { Stack } from './stack.js';

export const IMPLICIT_REST_API = 'ServerlessRestApi';
export const IMPLICIT_HTTP_API = 'ServerlessHttpApi';

export interface ApiEvent {
  readonly functionId: string;
  readonly eventId: string;
  readonly kind: 'Api' | 'HttpApi';
  /** The API's logical id. */
  readonly apiId: string;
  /** undefined: the HTTP API's `$default` route. */
  readonly path: string | undefined;
  /** Lower case as SAM writes it; `any` for ANY. */
  readonly method: string;
  readonly auth: Readonly<Record<string, unknown>> | undefined;
  /** Where the event's Properties are, for messages. */
  readonly at: KeyPath;
  readonly properties: Readonly<Record<string, unknown>>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every Api and HttpApi event of the stack's functions, with its properties resolved. */
export function readApiEvents(stack: Stack): ApiEvent[] {
  const out: ApiEvent[] = [];
  for (const [id, r] of stack.resources) {
    if (r.Type !== 'AWS::Serverless::Function' || !stack.exists(id)) continue;
    const events = isObj(r.Properties.Events) ? r.Properties.Events : {};
    for (const [eventId, e] of Object.entries(events)) {
      if (!isObj(e) || (e.Type !== 'Api' && e.Type !== 'HttpApi')) continue;
      const at: KeyPath = ['Resources', id, 'Properties', 'Events', eventId, 'Properties'];
      const raw = isObj(e.Properties) ? e.Properties : {};
      const kind = e.Type;
      const apiRef = raw[kind === 'Api' ? 'RestApiId' : 'ApiId'];
      // The API is named by Ref (or a plain logical id); resolving it would give the local API id.
      const apiId = isObj(apiRef) && typeof apiRef.Ref === 'string' ? apiRef.Ref : apiRef;
      const properties = (stack.resolve(raw, at) ?? {}) as Obj;
      out.push({
        functionId: id,
        eventId,
        kind,
        apiId:
          typeof apiId === 'string'
            ? apiId
            : kind === 'Api'
              ? IMPLICIT_REST_API
              : IMPLICIT_HTTP_API,
        path: typeof properties.Path === 'string' ? properties.Path : undefined,
        method: typeof properties.Method === 'string' ? properties.Method.toLowerCase() : 'any',
        auth: isObj(properties.Auth) ? properties.Auth : undefined,
        at,
        properties,
      });
    }
  }
  return out;
}
