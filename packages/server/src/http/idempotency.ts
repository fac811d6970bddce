import { createHash } from 'node:crypto';
import { AssentError, canonicalJson } from '@assent/core';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Transaction } from 'kysely';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';
import { isUniqueViolation } from '../db/transaction.ts';
import { nowIso } from '../shared/ids.ts';
import { authOf } from './auth.ts';

export interface IdempotentResult<T> {
  status: number;
  body: T;
  /** True when this is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

/** How long a key's answer is kept for the API: a retry within a day. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** The namespace of the banner's keys (Collect API); an API client may not use it. */
export const BROWSER_KEY_PREFIX = 'collect:';
/**
 * How long a banner choice's key is kept: longer than the banner keeps a choice in its queue (at
 * most `choiceDays`, 395 days), so a choice sent again after its answer was lost, on a visit even
 * months later, is recorded once.
 */
export const BROWSER_KEY_TTL_MS = 400 * 24 * 60 * 60 * 1000;
/** The longest Idempotency-Key the banner may send: stored after its namespace and property key. */
export const BROWSER_KEY_MAX_LENGTH = 180;

/** The header schema of a create that may be retried; documents it in OpenAPI. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'A retry with the same key and body within 24 h returns the first answer and creates nothing.',
    }),
  ),
});

/** The caller's workspace, Idempotency-Key and body, for `idempotent`. */
export function idempotencyScope(req: FastifyRequest, route: string) {
  const key = req.headers['idempotency-key'];
  // in any case: SQLite's LIKE, which the purge uses to tell the banner's keys, ignores it
  if (typeof key === 'string' && key.toLowerCase().startsWith(BROWSER_KEY_PREFIX))
    throw new AssentError(
      'bad_request',
      `Idempotency-Keys starting with "${BROWSER_KEY_PREFIX}" are reserved for the banner's choices`,
    );
  return {
    workspaceId: authOf(req).workspaceId,
    key: typeof key === 'string' ? key : undefined,
    route,
    body: req.body,
  };
}

/**
 * Runs a create in one transaction with the Idempotency-Key's row: the same key and body
 * within 24 h returns the first answer and creates nothing; another body with the same key is a 409.
 * Concurrent retries are settled by the key's primary key: the loser re-reads the winner's answer.
 */
export async function idempotent<T>(
  db: Db,
  scope: { workspaceId: string; key: string | undefined; route: string; body: unknown },
  run: (trx: Transaction<Database>) => Promise<{ status: number; body: T }>,
  ttlMs = IDEMPOTENCY_TTL_MS,
): Promise<IdempotentResult<T>> {
  const { workspaceId, key } = scope;
  if (!key) {
    const out = await db.write(run);
    return { ...out, replayed: false };
  }
  if (key.length > 255)
    throw new AssentError('bad_request', 'The Idempotency-Key header is longer than 255 characters');
  const requestHash = createHash('sha256')
    .update(`${scope.route}\n${canonicalJson(scope.body ?? null)}`)
    .digest('hex');

  const stored = async () => {
    const row = await db.kysely
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row || Date.parse(row.created_at) < Date.now() - ttlMs) return null;
    if (row.request_hash !== requestHash) {
      throw new AssentError(
        'idempotency_conflict',
        'This Idempotency-Key was already used with a different request',
      );
    }
    return { status: row.status_code, body: JSON.parse(row.response) as T, replayed: true };
  };

  const earlier = await stored();
  if (earlier) return earlier;
  try {
    const out = await db.write(async (trx) => {
      const result = await run(trx);
      // an expired row for the same key is replaced; a live one makes the insert fail
      await trx
        .deleteFrom('idempotency_keys')
        .where('workspace_id', '=', workspaceId)
        .where('key', '=', key)
        .where('created_at', '<', new Date(Date.now() - ttlMs).toISOString())
        .execute();
      await trx
        .insertInto('idempotency_keys')
        .values({
          workspace_id: workspaceId,
          key,
          request_hash: requestHash,
          status_code: result.status,
          response: JSON.stringify(result.body),
          created_at: nowIso(),
        })
        .execute();
      return result;
    });
    return { ...out, replayed: false };
  } catch (err) {
    if (isUniqueViolation(err)) {
      const winner = await stored();
      if (winner) return winner;
    }
    throw err;
  }
}

/**
 * Deletes the keys no caller keeps any more (the API's after a day, the banner's after
 * `BROWSER_KEY_TTL_MS`); returns how many. A background job runs it.
 */
export async function purgeIdempotencyKeys(db: Db, now = Date.now()): Promise<number> {
  const apiBefore = new Date(now - IDEMPOTENCY_TTL_MS).toISOString();
  const browserBefore = new Date(now - BROWSER_KEY_TTL_MS).toISOString();
  const result = await db.write((trx) =>
    trx
      .deleteFrom('idempotency_keys')
      .where((eb) =>
        eb.or([
          eb('created_at', '<', browserBefore),
          eb.and([eb('created_at', '<', apiBefore), eb('key', 'not like', `${BROWSER_KEY_PREFIX}%`)]),
        ]),
      )
      .executeTakeFirst(),
  );
  return Number(result.numDeletedRows);
}
