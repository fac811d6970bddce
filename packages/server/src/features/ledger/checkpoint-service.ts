import type { AppDeps } from '../../app-deps.ts';
import { isUniqueViolation } from '../../db/transaction.ts';
import { newId, nowIso } from '../../shared/ids.ts';
import { emit } from '../outbox/outbox.ts';
import { CHECKPOINT_TYPE, EPOCH } from './checkpoint-claims.ts';
import { windowRoot } from './ledger-verify.ts';

/** Records younger than this are left to the next checkpoint, so none still in flight is missed. */
export const SETTLE_MS = 30_000;

export interface Checkpoint {
  id: string;
  from: string;
  to: string;
  records: number;
  merkleRoot: string;
  signature: string;
  createdAt: string;
}

export function createCheckpointService(deps: AppDeps) {
  const db = deps.db.kysely;

  /**
   * Signs the Merkle root of the workspace's records recorded since the last checkpoint and
   * before `to`. Returns null when there is nothing new.
   */
  async function create(
    workspaceId: string,
    to: string = new Date(Date.now() - SETTLE_MS).toISOString(),
  ): Promise<Checkpoint | null> {
    const last = await db
      .selectFrom('checkpoints')
      .select('to_at')
      .where('workspace_id', '=', workspaceId)
      .orderBy('to_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const from = last?.to_at ?? EPOCH;
    if (to <= from) return null;
    const { root, count } = await windowRoot(db, workspaceId, from, to);
    if (count === 0) return null;
    const createdAt = nowIso();
    const signature = await deps.signer.sign(
      {
        type: CHECKPOINT_TYPE,
        workspaceId,
        from,
        to,
        records: count,
        merkleRoot: root,
        createdAt,
      },
      'assent-checkpoint+jwt',
    );
    const cp: Checkpoint = { id: newId(), from, to, records: count, merkleRoot: root, signature, createdAt };
    try {
      await deps.db.write(async (trx) => {
        await trx
          .insertInto('checkpoints')
          .values({
            id: cp.id,
            workspace_id: workspaceId,
            from_at: from,
            to_at: to,
            record_count: count,
            merkle_root: root,
            signature,
            created_at: createdAt,
          })
          .execute();
        await emit(trx, workspaceId, 'ledger.checkpointed', {
          checkpointId: cp.id,
          from,
          to,
          records: count,
          merkleRoot: root,
        });
      });
    } catch (err) {
      // another server made the same checkpoint first
      if (isUniqueViolation(err)) return null;
      throw err;
    }
    return cp;
  }

  async function list(workspaceId: string, opts: { after?: string; limit: number }): Promise<Checkpoint[]> {
    let q = db.selectFrom('checkpoints').selectAll().where('workspace_id', '=', workspaceId);
    if (opts.after) q = q.where('id', '>', opts.after);
    const rows = await q.orderBy('id').limit(opts.limit).execute();
    return rows.map((r) => ({
      id: r.id,
      from: r.from_at,
      to: r.to_at,
      records: Number(r.record_count),
      merkleRoot: r.merkle_root,
      signature: r.signature,
      createdAt: r.created_at,
    }));
  }

  /** Checkpoints every workspace with new records; run by the background job. */
  async function runOnce(): Promise<number> {
    const workspaces = await db.selectFrom('workspaces').select('id').execute();
    let made = 0;
    for (const w of workspaces) if (await create(w.id)) made++;
    return made;
  }

  /** Starts the periodic job; returns a function that stops it. */
  function start(intervalSeconds: number, onError: (err: unknown) => void): () => void {
    if (intervalSeconds <= 0) return () => {};
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      runOnce()
        .catch(onError)
        .finally(() => {
          running = false;
        });
    }, intervalSeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  return { create, list, runOnce, start };
}
