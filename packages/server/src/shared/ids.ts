import { randomBytes } from 'node:crypto';
import { v7 } from 'uuid';

/** A UUIDv7: time-ordered, so ids sort by creation and serve as cursors. */
export const newId = (): string => v7();

/** Now as RFC 3339 UTC with milliseconds, the one timestamp format stored. */
export const nowIso = (): string => new Date().toISOString();

const BASE62 = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A publishable property key for the Collect API: `pk_` and 24 random base62 characters. Public, not a secret. */
export function newPublishableKey(): string {
  let out = 'pk_';
  // 248 is the largest multiple of 62 below 256: rejecting above it keeps every character equally likely
  while (out.length < 27) {
    for (const b of randomBytes(32)) if (b < 248 && out.length < 27) out += BASE62[b % 62];
  }
  return out;
}
