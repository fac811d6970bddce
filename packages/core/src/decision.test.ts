import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ContactQuestion,
  candidatesFor,
  type DecisionRecord,
  decide,
  type ProcessingQuestion,
  type Question,
} from './decision.ts';
import type { ConsentState, LegalBasis } from './types.ts';

const NOW = '2026-06-01T00:00:00.000Z';
const at = (day: number) => new Date(Date.UTC(2026, 0, 1 + day)).toISOString();

let seq = 0;
function rec(
  p: Partial<DecisionRecord> & Pick<DecisionRecord, 'targetType' | 'targetKey' | 'state'>,
): DecisionRecord {
  seq += 1;
  return {
    id: `r${String(seq).padStart(4, '0')}`,
    channel: p.targetType === 'channel' ? p.targetKey : '',
    scopeType: 'workspace',
    scopeKey: '',
    occurredAt: at(0),
    expiresAt: null,
    source: 'form',
    ...p,
  };
}

const weekly: ContactQuestion = {
  kind: 'contact',
  channel: 'email',
  topic: 'weekly',
  topicAncestors: ['newsletter'],
  scope: { brand: 'acme' },
};

describe('decide: scenarios of DESIGN.md', () => {
  it('keeps a narrower refusal when the broader topic is granted again', () => {
    const records = [
      rec({
        targetType: 'topic',
        targetKey: 'newsletter',
        channel: 'email',
        state: 'granted',
        occurredAt: at(1),
      }),
      rec({
        targetType: 'topic',
        targetKey: 'weekly',
        channel: 'email',
        state: 'withdrawn',
        occurredAt: at(2),
      }),
      rec({
        targetType: 'topic',
        targetKey: 'newsletter',
        channel: 'email',
        state: 'granted',
        occurredAt: at(3),
      }),
    ];
    expect(decide(weekly, records, NOW)).toMatchObject({ allowed: false, reason: 'withdrawn' });
    const newsletter: ContactQuestion = { kind: 'contact', channel: 'email', topic: 'newsletter' };
    expect(decide(newsletter, records, NOW)).toMatchObject({ allowed: true, reason: 'granted' });
  });

  it('lets "unsubscribe from all" beat earlier topic grants, and a later topic grant re-enable just it', () => {
    const grant = rec({
      targetType: 'topic',
      targetKey: 'weekly',
      channel: 'email',
      state: 'granted',
      occurredAt: at(1),
    });
    const all = rec({ targetType: 'channel', targetKey: 'email', state: 'withdrawn', occurredAt: at(2) });
    expect(decide(weekly, [grant, all], NOW)).toEqual({ allowed: false, reason: 'withdrawn', record: all });
    const again = rec({
      targetType: 'topic',
      targetKey: 'weekly',
      channel: 'email',
      state: 'granted',
      occurredAt: at(3),
    });
    expect(decide(weekly, [grant, all, again], NOW)).toEqual({
      allowed: true,
      reason: 'granted',
      record: again,
    });
    const other: ContactQuestion = { kind: 'contact', channel: 'email', topic: 'offers' };
    expect(decide(other, [grant, all, again], NOW).reason).toBe('withdrawn');
  });

  it('lets a parent topic granted after "unsubscribe from all" re-enable its children', () => {
    const child = rec({
      targetType: 'topic',
      targetKey: 'weekly',
      channel: 'email',
      state: 'granted',
      occurredAt: at(1),
    });
    const all = rec({ targetType: 'channel', targetKey: 'email', state: 'withdrawn', occurredAt: at(2) });
    const parent = rec({
      targetType: 'topic',
      targetKey: 'newsletter',
      channel: 'email',
      state: 'granted',
      occurredAt: at(3),
    });
    // an older grant of the child must not make it worse than having none
    expect(decide(weekly, [parent, all], NOW)).toMatchObject({ allowed: true, record: parent });
    expect(decide(weekly, [child, parent, all], NOW)).toMatchObject({ allowed: true, record: parent });
  });

  it('puts brand scope before workspace scope and ignores other brands', () => {
    const topic = { targetType: 'topic', targetKey: 'weekly', channel: 'email' } as const;
    const acme = { scopeType: 'brand', scopeKey: 'acme' } as const;
    const wsNo = rec({ ...topic, state: 'withdrawn', occurredAt: at(0) });
    const brandYes = rec({ ...topic, ...acme, state: 'granted', occurredAt: at(1) });
    const globexNo = rec({
      ...topic,
      scopeType: 'brand',
      scopeKey: 'globex',
      state: 'denied',
      occurredAt: at(2),
    });
    expect(decide(weekly, [wsNo, brandYes, globexNo], NOW)).toMatchObject({
      allowed: true,
      record: brandYes,
    });
    // a later workspace-wide grant does not override the brand's refusal; a later workspace refusal does
    const brandNo = rec({ ...topic, ...acme, state: 'denied', occurredAt: at(1) });
    const wsYes = rec({ ...topic, state: 'granted', occurredAt: at(2) });
    expect(decide(weekly, [brandNo, wsYes], NOW)).toMatchObject({ allowed: false, record: brandNo });
    const wsLater = rec({ ...topic, state: 'withdrawn', occurredAt: at(2) });
    expect(decide(weekly, [brandYes, wsLater], NOW)).toMatchObject({ allowed: false, record: wsLater });
    // without a brand in the question, brand-scoped records do not apply
    expect(decide({ ...weekly, scope: {} }, [brandYes], NOW).reason).toBe('no_consent');
  });

  it('refuses a suppressed identifier whatever the grants', () => {
    const grant = rec({
      targetType: 'topic',
      targetKey: 'weekly',
      channel: 'email',
      state: 'granted',
      occurredAt: at(5),
    });
    const q = { ...weekly, suppressed: { reason: 'hard_bounce', at: at(1) } };
    expect(decide(q, [grant], NOW)).toEqual({ allowed: false, reason: 'suppressed', record: null });
  });

  it('treats an expired grant as absent, and says so when it would have decided', () => {
    const expired = rec({
      targetType: 'topic',
      targetKey: 'weekly',
      channel: 'email',
      state: 'granted',
      expiresAt: at(10),
    });
    expect(decide(weekly, [expired], NOW)).toEqual({ allowed: false, reason: 'expired', record: expired });
    const channel = rec({ targetType: 'channel', targetKey: 'email', state: 'granted' });
    expect(decide(weekly, [expired, channel], NOW)).toMatchObject({ allowed: true, record: channel });
  });

  it('refuses a pending double opt-in', () => {
    const pending = rec({ targetType: 'topic', targetKey: 'weekly', channel: 'email', state: 'pending' });
    expect(decide(weekly, [pending], NOW)).toMatchObject({ allowed: false, reason: 'pending_confirmation' });
  });

  it('decides a processing question by legal basis, purpose and vendor', () => {
    const li: ProcessingQuestion = {
      kind: 'processing',
      purpose: 'fraud',
      legalBasis: 'legitimate_interest',
    };
    expect(decide(li, [], NOW)).toMatchObject({ allowed: true, reason: 'legitimate_interest' });
    const objection = rec({ targetType: 'purpose', targetKey: 'fraud', state: 'denied' });
    expect(decide(li, [objection], NOW)).toMatchObject({ allowed: false, reason: 'objected' });
    const necessary: ProcessingQuestion = {
      kind: 'processing',
      purpose: 'x',
      legalBasis: 'consent',
      necessary: true,
    };
    expect(decide(necessary, [], NOW).reason).toBe('not_required');

    const ads: ProcessingQuestion = {
      kind: 'processing',
      purpose: 'ads',
      vendor: 'adnet',
      legalBasis: 'consent',
    };
    const granted = rec({ targetType: 'purpose', targetKey: 'ads', state: 'granted' });
    expect(decide(ads, [granted], NOW).allowed).toBe(true);
    const vendorNo = rec({ targetType: 'vendor', targetKey: 'adnet', state: 'withdrawn', occurredAt: at(2) });
    expect(decide(ads, [granted, vendorNo], NOW)).toEqual({
      allowed: false,
      reason: 'withdrawn',
      record: vendorNo,
    });
    const liAds = { ...ads, legalBasis: 'legitimate_interest' as const };
    expect(decide(liAds, [vendorNo], NOW)).toMatchObject({ allowed: false, reason: 'objected' });
  });
});

// ---- property tests over random ledgers ----------------------------------------------------

/** The question's topic chain: t0 (asked) < t1 < t2, then the email channel; plus noise. */
const TOPICS = ['t0', 't1', 't2', 'other'];
const CHANNELS = ['email', 'sms'];
const STATES: ConsentState[] = ['granted', 'denied', 'withdrawn', 'pending'];

const recordArb = fc
  .record({
    targetType: fc.constantFrom('topic', 'topic', 'channel', 'purpose', 'vendor') as fc.Arbitrary<
      DecisionRecord['targetType']
    >,
    topic: fc.constantFrom(...TOPICS),
    channel: fc.constantFrom(...CHANNELS, ''),
    purpose: fc.constantFrom('ads', 'analytics'),
    vendor: fc.constantFrom('adnet', 'tracker'),
    scope: fc.constantFrom<[DecisionRecord['scopeType'], string]>(
      ['workspace', ''],
      ['brand', 'acme'],
      ['brand', 'globex'],
      ['property', 'web'],
    ),
    state: fc.constantFrom(...STATES),
    // few distinct days, so ties in occurredAt happen
    day: fc.integer({ min: 0, max: 3 }),
    expires: fc.option(fc.constantFrom(at(3), at(400)), { nil: null }),
  })
  .map((g): Omit<DecisionRecord, 'id'> => {
    const targetKey =
      g.targetType === 'topic'
        ? g.topic
        : g.targetType === 'channel'
          ? g.channel || 'email'
          : g.targetType === 'purpose'
            ? g.purpose
            : g.vendor;
    return {
      targetType: g.targetType,
      targetKey,
      channel: g.targetType === 'topic' ? g.channel : g.targetType === 'channel' ? targetKey : '',
      scopeType: g.scope[0],
      scopeKey: g.scope[1],
      state: g.state,
      occurredAt: at(g.day),
      expiresAt: g.state === 'granted' ? g.expires : null,
      source: 'api',
    };
  });

const withIds = (rs: Omit<DecisionRecord, 'id'>[]) =>
  rs.map((r, i): DecisionRecord => ({ ...r, id: `id${String(i).padStart(3, '0')}` }));
const slotOf = (r: Omit<DecisionRecord, 'id'>) =>
  `${r.targetType}|${r.targetKey}|${r.channel}|${r.scopeType}|${r.scopeKey}`;

/** Current state as consent_state holds it: one record per slot. */
const ledgerArb = fc.uniqueArray(recordArb, { maxLength: 14, selector: slotOf }).map(withIds);
/** Raw history: a slot may hold several records, with ties in time. */
const rawLedgerArb = fc.array(recordArb, { maxLength: 24 }).map(withIds);

const basisArb = fc.constantFrom<LegalBasis>(
  'consent',
  'legitimate_interest',
  'contract',
  'legal_obligation',
);

const contactArb: fc.Arbitrary<ContactQuestion> = fc
  .record({
    kind: fc.constant('contact' as const),
    channel: fc.constantFrom(...CHANNELS),
    topic: fc.constantFrom('t0', 't1'),
    topicAncestors: fc.constant<string[]>(['t1', 't2']),
    legalBasis: fc.constantFrom<LegalBasis>('consent', 'legitimate_interest'),
    scope: fc.constantFrom<ContactQuestion['scope']>(
      {},
      { brand: 'acme' },
      { brand: 'acme', property: 'web' },
    ),
    suppressed: fc.constant(null),
  })
  .map((q) => (q.topic === 't1' ? { ...q, topicAncestors: ['t2'] } : q));

const processingArb: fc.Arbitrary<ProcessingQuestion> = fc.record({
  kind: fc.constant('processing' as const),
  purpose: fc.constantFrom('ads', 'analytics'),
  vendor: fc.option(fc.constantFrom('adnet', 'tracker'), { nil: undefined }),
  legalBasis: basisArb,
  necessary: fc.boolean(),
  scope: fc.constantFrom({}, { brand: 'acme' }, { property: 'web', brand: 'acme' }),
});

const questionArb: fc.Arbitrary<Question> = fc.oneof(contactArb, processingArb);

const allowingReasons = new Set(['granted', 'legitimate_interest', 'not_required']);
const isRefusal = (r: DecisionRecord) => r.state === 'denied' || r.state === 'withdrawn';
const isLive = (r: DecisionRecord) => !(r.state === 'granted' && r.expiresAt !== null && r.expiresAt <= NOW);
const consentBased = (q: Question) =>
  (q.legalBasis ?? 'consent') === 'consent' && !(q.kind === 'processing' && q.necessary);

describe('decide: properties over random ledgers', () => {
  fc.configureGlobal({ numRuns: 400 });
  it('never depends on the order of the records', () => {
    fc.assert(
      fc.property(questionArb, rawLedgerArb, fc.infiniteStream(fc.double()), (q, records, noise) => {
        const keys = records.map(() => noise.next().value);
        const shuffled = records
          .map((r, i) => ({ r, k: keys[i] }))
          .sort((a, b) => a.k - b.k)
          .map((x) => x.r);
        expect(decide(q, shuffled, NOW)).toEqual(decide(q, records, NOW));
      }),
    );
  });

  it('allows exactly for the allowing reasons, and the decisive record is an applicable one', () => {
    fc.assert(
      fc.property(questionArb, rawLedgerArb, (q, records) => {
        const d = decide(q, records, NOW);
        expect(d.allowed).toBe(allowingReasons.has(d.reason));
        if (d.record === null) return;
        const vendorRecord = q.kind === 'processing' && d.record.targetType === 'vendor';
        if (vendorRecord) expect(d.record.targetKey).toBe(q.vendor);
        else expect(candidatesFor(q, records)).toContain(d.record);
        expect(records).toContain(d.record);
      }),
    );
  });

  it('always refuses a suppressed identifier', () => {
    fc.assert(
      fc.property(contactArb, ledgerArb, (q, records) => {
        const d = decide({ ...q, suppressed: { reason: 'complaint', at: at(0) } }, records, NOW);
        expect(d).toEqual({ allowed: false, reason: 'suppressed', record: null });
      }),
    );
  });

  it('lets the legal basis decide when no record applies', () => {
    fc.assert(
      fc.property(questionArb, ledgerArb, (q, all) => {
        const records = all.filter((r) => !candidatesFor(q, [r]).length && r.targetType !== 'vendor');
        const d = decide(q, records, NOW);
        const basis = q.legalBasis ?? 'consent';
        const expected =
          q.kind === 'processing' && q.necessary
            ? 'not_required'
            : basis === 'consent'
              ? 'no_consent'
              : basis === 'legitimate_interest'
                ? 'legitimate_interest'
                : 'not_required';
        expect(d).toEqual({ allowed: expected !== 'no_consent', reason: expected, record: null });
      }),
    );
  });

  it('never lets a broader grant override a narrower refusal, and lets a later broader refusal win', () => {
    // a live refusal more recent than every live non-refusal narrower than it always refuses
    fc.assert(
      fc.property(questionArb, ledgerArb, (q, records) => {
        if (!consentBased(q)) return;
        const live = candidatesFor(q, records).filter(isLive);
        const refusing = live.some(
          (r, i) =>
            isRefusal(r) && live.slice(0, i).every((n) => isRefusal(n) || n.occurredAt < r.occurredAt),
        );
        if (refusing) expect(decide(q, records, NOW).allowed).toBe(false);
      }),
    );
  });

  it('allows on the most specific grant when no broader refusal came after it', () => {
    fc.assert(
      fc.property(questionArb, ledgerArb, (q, records) => {
        if (q.kind === 'processing' && (q.vendor || q.necessary)) return;
        const live = candidatesFor(q, records).filter(isLive);
        const [first, ...broader] = live;
        if (first?.state !== 'granted') return;
        if (broader.some((b) => isRefusal(b) && b.occurredAt > first.occurredAt)) return;
        expect(decide(q, records, NOW)).toMatchObject({ allowed: true });
      }),
    );
  });

  it('never turns an allowed answer into a refusal by adding an older narrower grant', () => {
    fc.assert(
      fc.property(contactArb, ledgerArb, (q, records) => {
        const before = decide(q, records, NOW);
        if (!before.allowed || !q.topic) return;
        const older: DecisionRecord = {
          ...rec({ targetType: 'topic', targetKey: q.topic, channel: q.channel, state: 'granted' }),
          occurredAt: at(-1),
        };
        expect(decide(q, [...records, older], NOW).allowed).toBe(true);
      }),
    );
  });

  it('counts an expired grant as absent, reporting it only when nothing else decides', () => {
    fc.assert(
      fc.property(questionArb, ledgerArb, (q, records) => {
        const withoutExpired = decide(q, records.filter(isLive), NOW);
        const d = decide(q, records, NOW);
        if (d.reason === 'expired') {
          expect(withoutExpired.reason).toBe('no_consent');
          expect(d.record?.expiresAt && d.record.expiresAt <= NOW).toBe(true);
        } else expect(d).toEqual(withoutExpired);
      }),
    );
  });

  it('only ever narrows a processing answer with a vendor', () => {
    fc.assert(
      fc.property(processingArb, ledgerArb, (q, records) => {
        if (!q.vendor) return;
        const withVendor = decide(q, records, NOW);
        const purposeOnly = decide({ ...q, vendor: undefined }, records, NOW);
        if (withVendor.allowed) expect(purposeOnly).toEqual(withVendor);
        if (!purposeOnly.allowed) expect(withVendor).toEqual(purposeOnly);
      }),
    );
  });
});
