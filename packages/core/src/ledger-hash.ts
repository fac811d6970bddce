import { hash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { LedgerRecord } from './types.ts';

// one-shot hashing: a Hash object per call cost more than hashing a record's ~600 bytes
const sha256 = (data: string | Buffer) => hash('sha256', data, 'hex');

const str = (v: string | null) => JSON.stringify(v);

/**
 * The exact bytes a record's hash is computed over: RFC 8785 canonical JSON of every field
 * but the hash itself (keys in code-unit order), so editing any field, the position (`seq`)
 * or the link (`prevHash`) changes the hash. Written out by hand for speed; a test checks it
 * against the general canonicaliser.
 */
export function recordHashInput(r: Omit<LedgerRecord, 'hash'>): string {
  return hashInputWithEvidence(r, canonicalJson(r.evidence));
}

/**
 * The same bytes, with the evidence given as canonical JSON text (as the ledger stores it), so
 * verification hashes a stored row without parsing its evidence. Text that is not the canonical
 * form of the original evidence gives another hash: it was edited.
 */
export function hashInputWithEvidence(
  r: Omit<LedgerRecord, 'hash' | 'evidence'>,
  evidenceJson: string,
): string {
  return (
    `{"channel":${str(r.channel)},"evidence":${evidenceJson},"expiresAt":${str(r.expiresAt)}` +
    `,"id":${str(r.id)},"legalBasis":${str(r.legalBasis)},"occurredAt":${str(r.occurredAt)}` +
    `,"prevHash":${str(r.prevHash)},"recordedAt":${str(r.recordedAt)},"scopeKey":${str(r.scopeKey)}` +
    `,"scopeType":${str(r.scopeType)},"seq":${canonicalJson(r.seq)},"source":${str(r.source)},"state":${str(r.state)}` +
    `,"subjectId":${str(r.subjectId)},"targetKey":${str(r.targetKey)},"targetType":${str(r.targetType)}` +
    `,"v":1,"workspaceId":${str(r.workspaceId)}}`
  );
}

/** SHA-256 (hex) of a stored record whose evidence is kept as canonical JSON text. */
export function hashStoredRecord(r: Omit<LedgerRecord, 'hash' | 'evidence'>, evidenceJson: string): string {
  return sha256(hashInputWithEvidence(r, evidenceJson));
}

/** SHA-256 (hex) of `recordHashInput`. */
export function hashRecord(record: Omit<LedgerRecord, 'hash'>): string {
  return sha256(recordHashInput(record));
}

/**
 * Incremental Merkle root over record hashes, memory O(log n): leaves are combined like a
 * binary counter (two subtrees of equal size become one), and the remaining subtrees are
 * folded from the smallest up. `merkleRoot` is the same computation over a list.
 */
export function createMerkleAccumulator() {
  const stack: (Buffer | undefined)[] = [];
  let count = 0;
  const pair = (left: Buffer, right: Buffer) => hash('sha256', Buffer.concat([left, right]), 'buffer');
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
