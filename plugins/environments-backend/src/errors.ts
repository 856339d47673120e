/*
 * The plugin's error classes, in one place. The worker retries only what is transient: an
 * unreachable or overloaded API server. Everything the API server refuses about an object is
 * permanent and reported briefly, naming the field it named.
 */
import { InputError } from '@backstage/errors';
import {
  FieldError,
  describeFieldErrors,
} from '@archipelago/plugin-environments-common';

/** An error that retrying will not fix (invalid spec, no capacity, stuck finalizers). */
export class PermanentError extends Error {}

/** An error that goes away by itself: retry the operation later. */
export class TransientError extends Error {}

/** The operation was cancelled (a destroy superseded it). */
export class CancelledError extends PermanentError {}

/** Input that fails validation: a 400 whose body lists every field error. */
export class ValidationError extends InputError {
  constructor(
    readonly errors: FieldError[],
    prefix = 'Invalid environment spec',
  ) {
    super(`${prefix}: ${describeFieldErrors(errors)}`);
  }
}

/** A non-2xx answer of the API server, with its Status body. */
/**
 * A 403 from an API server whose authorizer has not loaded its roles yet (right after it
 * starts, RBAC reports even cluster-admin "not found"): it passes in seconds.
 */
const RBAC_WARMING_UP =
  /RBAC: \[clusterrole\.rbac\.authorization\.k8s\.io "[^"]+" not found/;

export class KubeApiError extends Error {
  readonly body: any;
  constructor(
    readonly code: number,
    readonly method: string,
    readonly path: string,
    status: any,
    text: string,
  ) {
    super(briefStatus(code, status, text));
    this.body = status ?? text;
  }

  /** Refusals of the object itself: retrying the same object gets the same answer. */
  get permanent(): boolean {
    if (this.code === 429 || this.code === 409) return false;
    if (this.code === 403 && RBAC_WARMING_UP.test(this.message)) return false;
    if (this.code >= 400 && this.code < 500) return true;
    // "failed to create typed patch object": the object does not fit its schema (duplicate
    // port or env names, say). The API server answers 500, but it is the object's fault.
    // A full Service IP range is not transient either: it stays full until Services go.
    return /typed patch|typed value|duplicate entries|failed to allocate a service ?IP|range is full/i.test(
      this.message,
    );
  }
}

const MAX_MESSAGE = 400;

/** One short line from a Status: the fields the API server named, or its message. */
function briefStatus(code: number, status: any, text: string): string {
  const causes: Array<{ field?: string; message?: string }> =
    status?.details?.causes ?? [];
  let msg: string;
  if (causes.length) {
    msg = causes
      .slice(0, 5)
      .map(c => (c.field ? `${c.field}: ${c.message}` : c.message))
      .join('; ');
    if (causes.length > 5) msg += ` (and ${causes.length - 5} more)`;
  } else {
    msg = String(status?.message ?? text ?? '').replace(/\s+/g, ' ');
  }
  if (msg.length > MAX_MESSAGE) msg = `${msg.slice(0, MAX_MESSAGE)}…`;
  return `${status?.reason ?? code}: ${msg}`;
}

export function statusCode(e: unknown): number | undefined {
  const err = e as {
    code?: number | string;
    statusCode?: number;
    response?: { statusCode?: number };
  };
  const code = err?.code ?? err?.statusCode ?? err?.response?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Errors worth retrying: the API server is unreachable, overloaded or briefly conflicting. */
export function isTransient(e: unknown): boolean {
  if (e instanceof PermanentError) return false;
  if (e instanceof TransientError) return true;
  if (e instanceof KubeApiError) return !e.permanent;
  const code = statusCode(e);
  if (typeof code === 'number')
    return code === 429 || code === 409 || code >= 500;
  const msg = String((e as Error)?.message ?? e);
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|socket hang up|fetch failed|network/i.test(
    msg,
  );
}

/** The cluster's watch cache is not in sync (the API server is away, or just came back). */
export class ClusterUnavailableError extends TransientError {}

/**
 * Whether the error says the API server could not be reached at all (refused, reset, timed
 * out, no route): the cluster is away, which is not the operation's fault.
 */
export function isUnreachable(e: unknown): boolean {
  if (e instanceof ClusterUnavailableError) return true;
  if (e instanceof PermanentError || e instanceof KubeApiError) return false;
  const err = e as {
    code?: string;
    cause?: { code?: string };
    message?: string;
  };
  const codes = [err?.code, err?.cause?.code];
  if (
    codes.some(c =>
      [
        'ECONNREFUSED',
        'ECONNRESET',
        'ETIMEDOUT',
        'EHOSTUNREACH',
        'ENETUNREACH',
        'EAI_AGAIN',
      ].includes(c ?? ''),
    )
  )
    return true;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|socket hang up/.test(
    String(err?.message ?? e),
  );
}

export function errorMessage(e: unknown): string {
  if (e instanceof KubeApiError) return e.message;
  const err = e as { body?: { message?: string }; message?: string };
  const body = typeof err?.body === 'string' ? safeJson(err.body) : err?.body;
  return body?.message ?? err?.message ?? String(e);
}

function safeJson(s: string): any {
  try {
    return JSON.parse(s);
  } catch {
    return { message: s };
  }
}
