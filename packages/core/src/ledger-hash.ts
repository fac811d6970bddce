import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { LedgerRecord } from './types.ts';

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * The hash of a ledger record: SHA-256 over the canonical JSON of every field but the hash
 * itself, so editing any field, the position (`seq`) or the link (`prevHash`) changes it.
 */
export function hashRecord(record: Omit<LedgerRecord, 'hash'>): string {
  const { id, workspaceId, subjectId, seq, targetType, targetKey, channel, scopeType, scopeKey, state } =
    record;
  return sha256(
    canonicalJson({
      v: 1,
      id,
      workspaceId,
      subjectId,
      seq,
      targetType,
      targetKey,
      channel,
      scopeType,
      scopeKey,
      state,
      legalBasis: record.legalBasis,
      source: record.source,
      evidence: record.evidence,
      occurredAt: record.occurredAt,
      recordedAt: record.recordedAt,
      expiresAt: record.expiresAt,
      prevHash: record.prevHash,
    }),
  );
}

/**
 * Incremental Merkle root over record hashes, memory O(log n): leaves are combined like a
 * binary counter (two subtrees of equal size become one), and the remaining subtrees are
 * folded from the smallest up. `merkleRoot` is the same computation over a list.
 */
export function createMerkleAccumulator() {
  const stack: (Buffer | undefined)[] = [];
  let count = 0;
  const pair = (left: Buffer, right: Buffer) => createHash('sha256').update(left).update(right).digest();
  return {
    add(hashHex: string) {
      let node = Buffer.from(hashHex, 'hex');
      let i = 0;
      while (stack[i]) {
        node = pair(stack[i]!, node);
        stack[i] = undefined;
        i++;
      }
      stack[i] = node;
      count++;
    },
    get count() {
      return count;
    },
    root(): string {
      let acc: Buffer | undefined;
      for (const node of stack) {
        if (node) acc = acc ? pair(node, acc) : node;
      }
      return acc ? acc.toString('hex') : sha256('');
    },
  };
}

export function merkleRoot(hashes: Iterable<string>): string {
  const acc = createMerkleAccumulator();
  for (const h of hashes) acc.add(h);
  return acc.root();
}
