import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.ts';
import {
  createMerkleAccumulator,
  hashRecord,
  hashStoredRecord,
  merkleRoot,
  recordHashInput,
} from './ledger-hash.ts';
import type { LedgerRecord } from './types.ts';

const text = fc.string({ unit: 'binary', maxLength: 12 });
const record = fc.record({
  id: text,
  workspaceId: text,
  subjectId: text,
  seq: fc.integer({ min: 1, max: 1_000_000 }),
  targetType: fc.constantFrom('purpose', 'vendor', 'channel', 'topic'),
  targetKey: text,
  channel: text,
  scopeType: fc.constantFrom('workspace', 'brand', 'property'),
  scopeKey: text,
  state: fc.constantFrom('granted', 'denied', 'withdrawn', 'pending'),
  legalBasis: fc.option(fc.constantFrom('consent', 'legitimate_interest'), { nil: null }),
  source: fc.constantFrom('banner', 'form', 'api'),
  evidence: fc.dictionary(text, fc.oneof(text, fc.boolean(), fc.integer())),
  occurredAt: text,
  recordedAt: text,
  expiresAt: fc.option(text, { nil: null }),
  prevHash: fc.option(text, { nil: null }),
}) as fc.Arbitrary<Omit<LedgerRecord, 'hash'>>;

describe('ledger hashing', () => {
  it('hashes exactly the RFC 8785 canonical form of the record', () => {
    fc.assert(
      fc.property(record, (r) => {
        expect(recordHashInput(r)).toBe(canonicalJson({ v: 1, ...r }));
      }),
    );
  });

  it('hashes a stored row from its canonical evidence text alone', () => {
    fc.assert(
      fc.property(record, (r) => {
        const { evidence, ...fields } = r;
        expect(hashStoredRecord(fields, canonicalJson(evidence))).toBe(hashRecord(r));
      }),
    );
    const r = { ...fc.sample(record, 1)[0], evidence: { language: 'fr', gpc: false } };
    const { evidence, ...fields } = r;
    // the same evidence rewritten in another key order is an edit
    expect(hashStoredRecord(fields, '{"gpc":false,"language":"fr"}')).toBe(hashRecord(r));
    expect(hashStoredRecord(fields, '{"language":"fr","gpc":false}')).not.toBe(hashRecord(r));
    expect(evidence).toEqual({ language: 'fr', gpc: false });
  });

  it('changes the hash when any field changes', () => {
    fc.assert(
      fc.property(
        record,
        fc.constantFrom('id', 'seq', 'state', 'prevHash', 'occurredAt', 'targetKey'),
        (r, field) => {
          const edited = {
            ...r,
            [field]: field === 'seq' ? r.seq + 1 : `${String(r[field as keyof typeof r])}x`,
          };
          expect(hashRecord(edited)).not.toBe(hashRecord(r));
        },
      ),
    );
  });

  it('computes the same Merkle root incrementally and over a list, and it depends on order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[0-9a-f]{64}$/), { minLength: 2, maxLength: 40 }),
        (hashes) => {
          const acc = createMerkleAccumulator();
          for (const h of hashes) acc.add(h);
          expect(acc.root()).toBe(merkleRoot(hashes));
          expect(acc.count).toBe(hashes.length);
          const swapped = [hashes[1], hashes[0], ...hashes.slice(2)];
          if (hashes[0] !== hashes[1]) expect(merkleRoot(swapped)).not.toBe(merkleRoot(hashes));
        },
      ),
    );
  });
});
