// The provider's interaction pages: the sign-in page (prompt "login") and the consent step, which
// needs no screen because every client of the development provider is first-party. Consent is
// where per-user scopes are enforced: the grant gets only the requested scopes the user may have,
// the rest are recorded as refused so oidc-provider does not ask again.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Interaction, Provider } from 'oidc-provider';
import { errorPage, PAGE_HEADERS, signInPage } from './pages.js';
import { splitScopes, type DevUser } from './users.js';
import { TollgateError } from '../core/errors.js';

export interface InteractionOptions {
  readonly provider: Provider;
  /** The issuer's path, '' at the root: the interaction pages live under it. */
  readonly mountPath: string;
  readonly users: ReadonlyMap<string, DevUser>;
  readonly apiScopes: readonly string[];
}

const MAX_FORM_BYTES = 16 * 1024;
const UID = /^\/interaction\/([A-Za-z0-9_-]{1,64})$/;

/** The interaction's URL under the mount; oidc-provider scopes the interaction cookie to it. */
export function interactionPath(mountPath: string, uid: string): string {
  return `${mountPath}/interaction/${uid}`;
}

/** The uid when `path` (relative to the mount) is an interaction page. */
export function interactionUid(path: string): string | undefined {
  return UID.exec(path)?.[1];
}

function sendPage(res: ServerResponse, status: number, html: string): void {
  const body = Buffer.from(html, 'utf8');
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': body.length }).end(body);
}

function sendError(res: ServerResponse, status: number, error: string, description: string): void {
  sendPage(res, status, errorPage({ error, error_description: description }));
}

class FormTooLarge extends TollgateError<'FORM_TOO_LARGE'> {
  constructor() {
    super('FORM_TOO_LARGE', 'The form is over the size limit.');
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new FormTooLarge();
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function requestedApiScopes(details: Interaction, apiScopes: readonly string[]): string[] {
  const known = new Set(apiScopes);
  const scope = typeof details.params.scope === 'string' ? details.params.scope : '';
  return [...new Set(scope.split(' '))].filter((s) => known.has(s));
}

/** Answers GET and POST on `{mount}/interaction/{uid}`. Never throws. */
export async function handleInteraction(
  o: InteractionOptions,
  uid: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const details = await currentInteraction(o, uid, req, res);
  if (details === undefined) return;
  if (req.method === 'GET' || req.method === 'HEAD') return showInteraction(o, details, req, res);
  if (req.method !== 'POST') {
    req.resume();
    res.setHeader('allow', 'GET, POST');
    return sendError(res, 405, 'invalid_request', 'Only GET and POST are allowed here.');
  }
  return submitSignIn(o, details, req, res);
}

/** The interaction `uid` names, if it is this browser's current one; otherwise answered with a 400. */
async function currentInteraction(
  o: InteractionOptions,
  uid: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Interaction | undefined> {
  let details: Interaction;
  try {
    details = await o.provider.interactionDetails(req, res);
  } catch {
    req.resume();
    sendError(
      res,
      400,
      'invalid_request',
      'This sign-in has expired or was started in another browser. Start it again from the application.',
    );
    return undefined;
  }
  if (details.uid === uid) return details;
  req.resume();
  sendError(
    res,
    400,
    'invalid_request',
    'This sign-in page is out of date. Start the sign-in again from the application.',
  );
  return undefined;
}

/** The sign-in page, with a message after a wrong submission. */
function sendSignIn(
  o: InteractionOptions,
  details: Interaction,
  res: ServerResponse,
  status: number,
  message?: string,
): void {
  sendPage(
    res,
    status,
    signInPage({
      action: interactionPath(o.mountPath, details.uid),
      clientId: String(details.params.client_id),
      users: [...o.users.values()],
      requestedScopes: requestedApiScopes(details, o.apiScopes),
      message,
    }),
  );
}

/** GET: the sign-in page for a login prompt; consent needs no page. */
function showInteraction(
  o: InteractionOptions,
  details: Interaction,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> | void {
  req.resume();
  if (details.prompt.name === 'login') return sendSignIn(o, details, res, 200);
  if (details.prompt.name === 'consent') return grantConsent(o, details, req, res);
  return sendError(
    res,
    400,
    'invalid_request',
    `The development provider cannot answer the prompt ${details.prompt.name}.`,
  );
}

/** POST: the sign-in form's choice of user, or its cancel button. */
async function submitSignIn(
  o: InteractionOptions,
  details: Interaction,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let form: URLSearchParams;
  try {
    form = await readForm(req);
  } catch (error) {
    if (error instanceof FormTooLarge) res.setHeader('connection', 'close');
    return sendError(res, 400, 'invalid_request', 'The form could not be read.');
  }
  if (details.prompt.name !== 'login')
    return sendError(
      res,
      400,
      'invalid_request',
      'This sign-in step takes no form. Start the sign-in again from the application.',
    );
  if (form.get('action') === 'cancel') {
    return o.provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'the user cancelled the sign-in' },
      { mergeWithLastSubmission: false },
    );
  }
  const user = o.users.get(form.get('user') ?? '');
  if (!user) return sendSignIn(o, details, res, 400, 'Choose one of the listed users.');
  return o.provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.id } },
    { mergeWithLastSubmission: false },
  );
}

interface ConsentDetails {
  readonly missingOIDCScope?: string[];
  readonly missingOIDCClaims?: string[];
  readonly missingResourceScopes?: Record<string, string[]>;
}

async function grantConsent(
  o: InteractionOptions,
  details: Interaction,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const accountId = details.session?.accountId;
  const user = accountId === undefined ? undefined : o.users.get(accountId);
  if (!user)
    return o.provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'the signed-in user is not a development user' },
      { mergeWithLastSubmission: false },
    );
  const clientId = String(details.params.client_id);
  const grant =
    (details.grantId ? await o.provider.Grant.find(details.grantId) : undefined) ??
    new o.provider.Grant({ accountId: user.id, clientId });
  const missing = details.prompt.details as ConsentDetails;
  if (missing.missingOIDCScope?.length) grant.addOIDCScope(missing.missingOIDCScope);
  if (missing.missingOIDCClaims?.length) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    const { granted, refused } = splitScopes(user, scopes);
    if (granted.length) grant.addResourceScope(resource, granted);
    if (refused.length) grant.rejectResourceScope(resource, refused);
  }
  const grantId = await grant.save();
  return o.provider.interactionFinished(
    req,
    res,
    { consent: { grantId } },
    { mergeWithLastSubmission: true },
  );
}
