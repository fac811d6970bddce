import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { WriteLock } from './cluster-write-lock.ts';
import type { Database } from './schema.ts';

export type WriteUnit<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  run: WriteUnit<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

const MAX_BATCH = 128;
// each write's savepoint, as plain statements: Kysely's savepoint builders cost more than running them
const SAVEPOINT = CompiledQuery.raw('savepoint "unit"');
const RELEASE = CompiledQuery.raw('release "unit"');
const ROLLBACK_TO = CompiledQuery.raw('rollback to "unit"');

/**
 * Group commit for SQLite, which has one writer at a time: writes that arrive together run
 * in one transaction, each inside its own savepoint, so one failing write rolls back only its
 * own work while the others commit together. Every caller is answered after the commit. With a
 * `lock` (several processes writing one file) each batch runs while holding it.
 */
export function createGroupCommit(kysely: Kysely<Database>, lock?: WriteLock) {
  const queue: Pending[] = [];
  let running = false;

  async function flush() {
    running = true;
    try {
      while (queue.length) {
        // writes that arrive while the lock is awaited join this batch
        if (lock) await lock.acquire();
        const batch = queue.splice(0, MAX_BATCH);
        const outcomes: ({ ok: true; value: unknown } | { ok: false; err: unknown })[] = [];
        try {
          const trx = await kysely.startTransaction().execute();
          try {
            for (const unit of batch) {
              await trx.executeQuery(SAVEPOINT);
              try {
                const value = await unit.run(trx);
                await trx.executeQuery(RELEASE);
                outcomes.push({ ok: true, value });
              } catch (err) {
                await trx.executeQuery(ROLLBACK_TO);
                await trx.executeQuery(RELEASE);
                outcomes.push({ ok: false, err });
              }
            }
            await trx.commit().execute();
          } catch (err) {
            await trx
              .rollback()
              .execute()
              .catch(() => {});
            throw err;
          }
        } catch (err) {
          // the batch itself failed (e.g. the commit): nobody's write is kept
          for (const unit of batch) unit.reject(err);
          continue;
        } finally {
          lock?.release();
        }
        batch.forEach((unit, i) => {
          const o = outcomes[i];
          if (o.ok) unit.resolve(o.value);
          else unit.reject(o.err);
        });
      }
    } finally {
      running = false;
    }
  }

  return function write<T>(run: WriteUnit<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ run: run as WriteUnit<unknown>, resolve: resolve as (v: unknown) => void, reject });
      // writes arriving in the same turn of the event loop join the same batch
      if (!running && queue.length === 1) setImmediate(() => void flush());
    });
  };
}
