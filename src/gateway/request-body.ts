// Request bodies, read only once the gateway needs them (after authorization) and bounded three
// ways: each body by API Gateway's 10 MB payload limit, all bodies in flight together by a budget,
// and the time a client may leave a body idle. A refused request's body is never buffered.
import type { IncomingMessage } from 'node:http';
import { TollgateError } from '../core/errors.js';

/** The bounds a body is read within; README "Security" states the defaults. */
export interface BodyLimits {
  /** One body: API Gateway's payload limit, 10 MB; over it, 413. */
  readonly maxBytes: number;
  /** Every body in flight together; over it, 503 (Tollgate's choice: API Gateway has no such limit locally visible). */
  readonly budget: BodyBudget;
  /** A body that sends nothing for this long is abandoned: 408 and the connection closed. */
  readonly idleTimeoutMs: number;
}

export const BODY_DEFAULTS = {
  maxBytes: 10 * 1024 * 1024,
  budgetBytes: 24 * 1024 * 1024,
  idleTimeoutMs: 10_000,
} as const;

/** Why a body was not read: the gateway answers with its code's response (error-responses.ts). */
export class BodyRefused extends TollgateError<
  'BODY_TOO_LARGE' | 'BODY_BUDGET_EXCEEDED' | 'BODY_IDLE_TIMEOUT' | 'BODY_ABORTED'
> {
  constructor(code: BodyRefused['code']) {
    super(code, code);
  }
}

/** Bytes shared by every body in flight. */
export interface BodyBudget {
  /** Takes `bytes` if they fit; false (and nothing taken) if not. */
  reserve(bytes: number): boolean;
  release(bytes: number): void;
  readonly inUse: number;
}

export function createBodyBudget(limitBytes: number): BodyBudget {
  let inUse = 0;
  return {
    reserve(bytes) {
      if (inUse + bytes > limitBytes) return false;
      inUse += bytes;
      return true;
    },
    release(bytes) {
      inUse = Math.max(0, inUse - bytes);
    },
    get inUse() {
      return inUse;
    },
  };
}

/** The declared Content-Length, or undefined when the body is chunked or the header unusable. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d{1,15}$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * A reader for one request's body: nothing is read until `read()` is called (memoised), and the
 * bytes it holds stay counted in the budget until `release()` (when the response is done).
 */
export function lazyBody(
  req: IncomingMessage,
  limits: BodyLimits,
): { read: () => Promise<Buffer>; release: () => void } {
  let held = 0;
  let reading: Promise<Buffer> | undefined;
  const take = (bytes: number): boolean => {
    if (!limits.budget.reserve(bytes)) return false;
    held += bytes;
    return true;
  };
  return {
    read: () => (reading ??= readWithin(req, limits, take)),
    release: () => {
      limits.budget.release(held);
      held = 0;
    },
  };
}

function readWithin(
  req: IncomingMessage,
  limits: BodyLimits,
  take: (bytes: number) => boolean,
): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > limits.maxBytes)
    return Promise.reject(new BodyRefused('BODY_TOO_LARGE'));
  if (req.complete && req.readableLength === 0 && declared === undefined)
    return Promise.resolve(Buffer.alloc(0));
  // A declared length is reserved whole, up front: the client cannot make the gateway wait for bytes it has no room for.
  if (declared !== undefined && !take(declared))
    return Promise.reject(new BodyRefused('BODY_BUDGET_EXCEEDED'));
  return new Promise((resolve, reject) => {
    // One allocation when the length is known; chunks otherwise.
    const whole = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stop = (error?: BodyRefused): void => {
      clearTimeout(timer);
      req
        .off('data', onData)
        .off('end', onEnd)
        .off('error', onAbort)
        .off('aborted', onAbort)
        .off('close', onClose);
      if (error) {
        req.pause();
        reject(error);
      }
    };
    const idle = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => stop(new BodyRefused('BODY_IDLE_TIMEOUT')), limits.idleTimeoutMs);
    };
    const onData = (c: Buffer): void => {
      idle();
      if (size + c.length > (declared ?? limits.maxBytes))
        return stop(new BodyRefused('BODY_TOO_LARGE'));
      if (whole) c.copy(whole, size);
      else if (take(c.length)) chunks.push(c);
      else return stop(new BodyRefused('BODY_BUDGET_EXCEEDED'));
      size += c.length;
    };
    const onEnd = (): void => {
      stop();
      resolve(whole ? whole.subarray(0, size) : Buffer.concat(chunks, size));
    };
    const onAbort = (): void => stop(new BodyRefused('BODY_ABORTED'));
    const onClose = (): void => {
      if (!req.complete) onAbort();
    };
    req
      .on('data', onData)
      .on('end', onEnd)
      .on('error', onAbort)
      .on('aborted', onAbort)
      .on('close', onClose);
    idle();
  });
}
