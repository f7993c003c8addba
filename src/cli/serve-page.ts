// `tollgate serve`, step seven: the sign-in page at /, unless the API serves GET / itself or does
// not serve the routes the page's buttons call. Each reason for no page is said once.
import type { ApiDefinition } from '../gateway/openapi.js';
import type { Mount } from '../gateway/server.js';
import type { DevProvider } from '../idp/dev-provider.js';
import { createPageMount, PETSTORE_ENDPOINTS, type PageConfig } from '../web/page-mount.js';
import { missingPageRoutes } from './serve-banner.js';
import type { PageSetting } from './serve-settings.js';

export type PageChoice =
  | { readonly config: PageConfig; readonly connectOrigins: readonly string[] | undefined }
  | { readonly config: undefined; readonly problem: string | undefined };

/** Whether a page is served and how it signs in; pure. `setting` false: the user wants none. */
export function choosePage(
  setting: boolean | PageSetting,
  api: ApiDefinition,
  devProvider: DevProvider | undefined,
): PageChoice {
  const none = (problem?: string): PageChoice => ({ config: undefined, problem });
  if (setting === false) return none();
  if (api.routes.match('GET', '/') !== undefined)
    return none('tollgate: no sign-in page: the API serves GET / itself');
  const missing = missingPageRoutes(api, PETSTORE_ENDPOINTS);
  if (missing.length)
    return none(
      `tollgate: no sign-in page: its buttons call ${missing.map((e) => `${e.method} ${e.path}`).join(', ')}, which this API does not serve`,
    );
  if (typeof setting === 'object')
    return {
      config: {
        issuer: setting.issuer,
        clientId: setting.clientId,
        audience: setting.audience,
        scope: setting.scope ?? 'openid',
        extraAuthorizeParams: setting.extraAuthorizeParams,
        endpoints: PETSTORE_ENDPOINTS,
      },
      connectOrigins: setting.connectOrigins,
    };
  if (!devProvider)
    return none(
      'tollgate: no sign-in page: with your own issuer, set serve.page (issuer, clientId, audience, scope) in the config file',
    );
  const scopes = ['openid', ...devProvider.users.flatMap((u) => u.scopes)];
  return {
    config: {
      issuer: devProvider.issuer,
      clientId: devProvider.clients.web.clientId,
      scope: scopes.filter((s, i) => scopes.indexOf(s) === i).join(' '),
      endpoints: PETSTORE_ENDPOINTS,
    },
    connectOrigins: undefined,
  };
}

/** The page's mount, or undefined with the reason said on `err`. */
export function pageMount(choice: PageChoice, err: (line: string) => void): Mount | undefined {
  if (choice.config === undefined) {
    if (choice.problem) err(choice.problem);
    return undefined;
  }
  const { connectOrigins } = choice;
  return createPageMount(choice.config, connectOrigins ? { connectOrigins } : {});
}
