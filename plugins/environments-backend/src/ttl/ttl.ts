/*
 * Lifetime arithmetic, pure: when a new environment expires, and how far an extension pushes
 * it. Validation and extend both use it, so they cannot disagree.
 */
import {
  FieldError,
  parseDuration,
} from '@archipelago/plugin-environments-common';
import type { PurposeSettings } from '../config';

/** The expiry of a new environment (undefined: never), or the field error that refuses it. */
export function initialExpiry(
  spec: { purpose: string; ttl?: string; expiresAt?: string },
  purpose: Pick<PurposeSettings, 'defaultTtlSeconds' | 'maxTtlSeconds'>,
  now: Date,
): { expiresAt?: Date; error?: FieldError } {
  let expiresAt: Date | undefined;
  if (spec.expiresAt) expiresAt = new Date(spec.expiresAt);
  else if (spec.ttl)
    expiresAt = new Date(now.getTime() + parseDuration(spec.ttl)! * 1000);
  else if (purpose.defaultTtlSeconds)
    expiresAt = new Date(now.getTime() + purpose.defaultTtlSeconds * 1000);
  if (expiresAt && expiresAt.getTime() <= now.getTime())
    return { error: { path: 'expiresAt', message: 'must be in the future' } };
  if (
    expiresAt &&
    purpose.maxTtlSeconds &&
    expiresAt.getTime() > now.getTime() + purpose.maxTtlSeconds * 1000
  ) {
    return {
      error: {
        path: spec.expiresAt ? 'expiresAt' : 'ttl',
        message: `is longer than the ${Math.round(
          purpose.maxTtlSeconds / 86400,
        )}d allowed for ${spec.purpose} environments`,
      },
    };
  }
  return { expiresAt };
}

/** An extension by `ttl`, from the current expiry (or now), capped at the purpose's maximum from now. */
export function extendedExpiry(
  current: Date | undefined,
  ttl: string,
  purpose: Pick<PurposeSettings, 'maxTtlSeconds'>,
  now: Date,
): Date {
  const from = Math.max(now.getTime(), current?.getTime() ?? now.getTime());
  let until = from + parseDuration(ttl)! * 1000;
  if (purpose.maxTtlSeconds)
    until = Math.min(until, now.getTime() + purpose.maxTtlSeconds * 1000);
  return new Date(until);
}
