import type { ConsentSource, ConsentState, LegalBasis, ScopeType, TargetType } from './types.ts';

/** The current state of one target x channel x scope slot, with the record that set it. */
export interface DecisionRecord {
  id: string;
  targetType: TargetType;
  targetKey: string;
  channel: string;
  scopeType: ScopeType;
  scopeKey: string;
  state: ConsentState;
  occurredAt: string;
  expiresAt: string | null;
  source: ConsentSource;
}

export interface Scope {
  /** Most specific first, e.g. property, then brand; workspace scope is always last. */
  property?: string;
  brand?: string;
}

export interface ContactQuestion {
  kind: 'contact';
  channel: string;
  topic?: string;
  /** The topic's ancestors, nearest first. */
  topicAncestors?: string[];
  /** Contact is consent-based unless the brand relies on another basis (e.g. soft opt-in). */
  legalBasis?: LegalBasis;
  scope?: Scope;
  suppressed?: { reason: string; at: string } | null;
}

export interface ProcessingQuestion {
  kind: 'processing';
  purpose: string;
  vendor?: string;
  legalBasis: LegalBasis;
  /** `necessary` purposes need no consent. */
  necessary?: boolean;
  scope?: Scope;
}

export type Question = ContactQuestion | ProcessingQuestion;

export const decisionReasons = [
  'granted',
  'denied',
  'withdrawn',
  'suppressed',
  'expired',
  'pending_confirmation',
  'no_consent',
  'legitimate_interest',
  'objected',
  'not_required',
] as const;
export type DecisionReason = (typeof decisionReasons)[number];

export interface Decision {
  allowed: boolean;
  reason: DecisionReason;
  /** The decisive ledger record, when one decided. */
  record: DecisionRecord | null;
}

const isRefusal = (s: ConsentState) => s === 'denied' || s === 'withdrawn';

function scopeRank(q: Question, r: DecisionRecord): number {
  const s = q.scope ?? {};
  if (r.scopeType === 'property') return s.property !== undefined && r.scopeKey === s.property ? 0 : -1;
  if (r.scopeType === 'brand') return s.brand !== undefined && r.scopeKey === s.brand ? 1 : -1;
  return 2;
}

/** The topic asked about and its ancestors, nearest first. */
const topicChain = (q: Question): readonly string[] =>
  q.kind === 'contact' && q.topic ? [q.topic, ...(q.topicAncestors ?? [])] : [];

/**
 * Specificity level of a record for the question (lower is more specific), or -1 when it does
 * not apply. `chain` is the question's `topicChain`.
 */
function level(q: Question, chain: readonly string[], r: DecisionRecord): number {
  if (q.kind === 'processing') return r.targetType === 'purpose' && r.targetKey === q.purpose ? 0 : -1;
  if (r.targetType === 'topic') {
    const i = chain.indexOf(r.targetKey);
    if (i < 0) return -1;
    // a topic decision made for this channel is more specific than one for every channel
    if (r.channel === q.channel) return i * 2;
    return r.channel === '' ? i * 2 + 1 : -1;
  }
  if (r.targetType === 'channel') return r.targetKey === q.channel ? chain.length * 2 : -1;
  return -1;
}

const newerFirst = (a: DecisionRecord, b: DecisionRecord) =>
  a.occurredAt === b.occurredAt
    ? a.id < b.id
      ? 1
      : a.id > b.id
        ? -1
        : 0
    : a.occurredAt < b.occurredAt
      ? 1
      : -1;

/**
 * Orders the applicable records from most specific to broadest. A slot (target x channel x
 * scope) counts once, with its latest record, so the answer does not depend on the input order.
 */
export function candidatesFor(q: Question, records: readonly DecisionRecord[]): DecisionRecord[] {
  const chain = topicChain(q);
  return latestPerSlot(records, (r) => {
    const l = level(q, chain, r);
    const s = scopeRank(q, r);
    return l < 0 || s < 0 ? -1 : l * 3 + s;
  });
}

/** Keeps each slot's latest record (slot rank < 0: does not apply), ordered by slot rank. */
function latestPerSlot(records: readonly DecisionRecord[], slotRank: (r: DecisionRecord) => number) {
  const latest = new Map<number, DecisionRecord>();
  for (const r of records) {
    const slot = slotRank(r);
    if (slot < 0) continue;
    const seen = latest.get(slot);
    if (!seen || newerFirst(r, seen) < 0) latest.set(slot, r);
  }
  return [...latest.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

const isExpired = (r: DecisionRecord, now: string) =>
  r.state === 'granted' && r.expiresAt !== null && r.expiresAt <= now;

/**
 * Applies the precedence of DESIGN.md to candidates ordered from most specific to broadest.
 * The most specific record that still stands decides: a refusal always stands (a broader grant
 * never overrides it), a grant or a pending opt-in stands unless a broader refusal was made
 * after it. A standing refusal gives way, as the decisive record, to a later broader refusal.
 */
function decideTarget(
  candidates: DecisionRecord[],
  now: string,
): { decisive: DecisionRecord | null; expired: DecisionRecord | null } {
  let expired: DecisionRecord | null = null;
  const live: DecisionRecord[] = [];
  for (const r of candidates) {
    if (isExpired(r, now)) expired ??= r;
    else live.push(r);
  }
  if (live.length === 0) return { decisive: null, expired };
  for (let i = 0; i < live.length; i++) {
    const r = live[i];
    let laterRefusal: DecisionRecord | null = null;
    for (let j = i + 1; j < live.length; j++) {
      const b = live[j];
      if (
        isRefusal(b.state) &&
        b.occurredAt > r.occurredAt &&
        (!laterRefusal || newerFirst(b, laterRefusal) < 0)
      )
        laterRefusal = b;
    }
    if (!laterRefusal) return { decisive: r, expired: null };
    if (isRefusal(r.state)) return { decisive: laterRefusal, expired: null };
    // a grant (or pending) overridden by a later broader refusal: a broader record may still stand
  }
  // unreachable: the broadest record has nothing broader to override it
  return { decisive: live[live.length - 1], expired: null };
}

/**
 * The one decision every surface uses: may we contact the subject on a channel about a
 * topic, or may a vendor process their data for a purpose? Returns the decisive record.
 */
export function decide(
  q: Question,
  records: readonly DecisionRecord[],
  now: string = new Date().toISOString(),
): Decision {
  if (q.kind === 'contact' && q.suppressed) return { allowed: false, reason: 'suppressed', record: null };
  const basis = q.legalBasis ?? 'consent';
  if (q.kind === 'processing' && (q.necessary || basis === 'contract' || basis === 'legal_obligation')) {
    return { allowed: true, reason: 'not_required', record: null };
  }
  const { decisive, expired } = decideTarget(candidatesFor(q, records), now);
  let answer: Decision;
  if (decisive) {
    if (decisive.state === 'granted') answer = { allowed: true, reason: 'granted', record: decisive };
    else if (decisive.state === 'pending')
      answer = { allowed: false, reason: 'pending_confirmation', record: decisive };
    else if (basis === 'legitimate_interest')
      answer = { allowed: false, reason: 'objected', record: decisive };
    else
      answer = {
        allowed: false,
        reason: decisive.state === 'withdrawn' ? 'withdrawn' : 'denied',
        record: decisive,
      };
  } else if (basis === 'legitimate_interest') {
    answer = { allowed: true, reason: 'legitimate_interest', record: null };
  } else if (basis === 'contract' || basis === 'legal_obligation') {
    answer = { allowed: true, reason: 'not_required', record: null };
  } else if (expired) {
    answer = { allowed: false, reason: 'expired', record: expired };
  } else {
    answer = { allowed: false, reason: 'no_consent', record: null };
  }
  if (answer.allowed && q.kind === 'processing' && q.vendor) {
    const vendorRefusal = latestVendorRefusal(q, records, now);
    if (vendorRefusal) {
      return {
        allowed: false,
        reason:
          basis === 'legitimate_interest'
            ? 'objected'
            : vendorRefusal.state === 'withdrawn'
              ? 'withdrawn'
              : 'denied',
        record: vendorRefusal,
      };
    }
  }
  return answer;
}

function latestVendorRefusal(
  q: ProcessingQuestion,
  records: readonly DecisionRecord[],
  now: string,
): DecisionRecord | null {
  const vendorRecords = latestPerSlot(records, (r) =>
    r.targetType === 'vendor' && r.targetKey === q.vendor ? scopeRank(q, r) : -1,
  );
  // the most specific vendor decision counts, unless a broader refusal is more recent
  const { decisive } = decideTarget(vendorRecords, now);
  return decisive && isRefusal(decisive.state) ? decisive : null;
}
