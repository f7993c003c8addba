// Binary payloads between clients and Lambda proxy integrations (docs/emulation.md, "Binary media
// types"): which request bodies a function receives base64-encoded, and which base64 answers the
// client receives as bytes. Pure functions of the request, the answer and the API's settings.

/** `image/png; q=0.9` → `image/png`; lower case; undefined when empty. */
export function mediaType(value: string | undefined): string | undefined {
  const type = value?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

/** Whether a media type is one of the API's binary media types (`*` a wildcard, as in `image/*` or `*\/*`). */
export function isBinaryType(type: string | undefined, patterns: readonly string[]): boolean {
  if (type === undefined) return false;
  return patterns.some((p) =>
    new RegExp(
      `^${p
        .toLowerCase()
        .replace(/[.+^${}()|[\]\\?]/g, '\\$&')
        .replace(/\*/g, '.*')}$`,
    ).test(type),
  );
}

// HTTP APIs: bodies of these types reach the function as text; any other body, or one that is not
// valid UTF-8, is base64-encoded (docs/emulation.md).
const TEXT_TYPES = [/^text\//, /^application\/(json|javascript|xml|x-yaml|yaml)$/, /\+(json|xml)$/];

const header = (
  headers: Readonly<Record<string, readonly string[]>>,
  name: string,
): string | undefined => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1][0];

export interface ProxyBody {
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
}

/** The body as a Lambda proxy event carries it. */
export function proxyRequestBody(
  body: Buffer | undefined,
  headers: Readonly<Record<string, readonly string[]>>,
  flavour: 'rest' | 'http',
  binaryMediaTypes: readonly string[],
): ProxyBody {
  if (body === undefined || body.length === 0) return { body: null, isBase64Encoded: false };
  const type = mediaType(header(headers, 'content-type'));
  const binary =
    flavour === 'rest'
      ? isBinaryType(type, binaryMediaTypes)
      : (type !== undefined && !TEXT_TYPES.some((t) => t.test(type))) || !isUtf8(body);
  return binary
    ? { body: body.toString('base64'), isBase64Encoded: true }
    : { body: body.toString('utf8'), isBase64Encoded: false };
}

function isUtf8(body: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a proxy answer with `isBase64Encoded: true` goes to the client as bytes. HTTP APIs always
 * decode it. REST APIs decode it only when the request's first `Accept` media type (or, without an
 * Accept header, the answer's Content-Type) is a binary media type; otherwise the client gets the
 * base64 text, as on AWS.
 */
export function decodesAnswer(
  flavour: 'rest' | 'http',
  requestHeaders: Readonly<Record<string, readonly string[]>>,
  answerContentType: string | undefined,
  binaryMediaTypes: readonly string[],
): boolean {
  if (flavour === 'http') return true;
  const accept = header(requestHeaders, 'accept');
  const first = accept === undefined ? undefined : mediaType(accept.split(',')[0]);
  return isBinaryType(first ?? mediaType(answerContentType), binaryMediaTypes);
}
