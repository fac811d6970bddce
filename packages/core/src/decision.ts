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

/** Specificity level of a record for the question (lower is more specific), or -1 when it does not apply. */
function level(q: Question, r: DecisionRecord): number {
  if (q.kind === 'processing') return r.targetType === 'purpose' && r.targetKey === q.purpose ? 0 : -1;
  const chain = q.topic ? [q.topic, ...(q.topicAncestors ?? [])] : [];
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

/** Orders the applicable records from most specific to broadest. */
export function candidatesFor(q: Question, records: readonly DecisionRecord[]): DecisionRecord[] {
  const ranked: { r: DecisionRecord; l: number; s: number }[] = [];
  for (const r of records) {
    const l = level(q, r);
    const s = scopeRank(q, r);
    if (l >= 0 && s >= 0) ranked.push({ r, l, s });
  }
  ranked.sort((a, b) => a.l - b.l || a.s - b.s || (a.r.occurredAt < b.r.occurredAt ? 1 : -1));
  return ranked.map((x) => x.r);
}

const isExpired = (r: DecisionRecord, now: string) =>
  r.state === 'granted' && r.expiresAt !== null && r.expiresAt <= now;

/** Applies the precedence of DESIGN.md to records of one kind of target. */
function decideTarget(
  candidates: DecisionRecord[],
  now: string,
): { start: DecisionRecord | null; decisive: DecisionRecord | null; expired: DecisionRecord | null } {
  let expired: DecisionRecord | null = null;
  const live: DecisionRecord[] = [];
  for (const r of candidates) {
    if (isExpired(r, now)) expired ??= r;
    else live.push(r);
  }
  const start = live[0] ?? null;
  if (!start) return { start: null, decisive: null, expired };
  // a broader refusal made later beats the specific decision; the latest such refusal is decisive
  let decisive = start;
  for (const r of live.slice(1)) {
    if (
      isRefusal(r.state) &&
      r.occurredAt > start.occurredAt &&
      (decisive === start || r.occurredAt > decisive.occurredAt)
    ) {
      decisive = r;
    }
  }
  return { start, decisive, expired: null };
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
        reason: vendorRefusal.state === 'withdrawn' ? 'withdrawn' : 'denied',
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
  const vendorRecords = records.filter(
    (r) => r.targetType === 'vendor' && r.targetKey === q.vendor && scopeRank(q, r) >= 0,
  );
  vendorRecords.sort((a, b) => scopeRank(q, a) - scopeRank(q, b) || (a.occurredAt < b.occurredAt ? 1 : -1));
  // the most specific vendor decision counts, unless a broader refusal is more recent
  const { decisive } = decideTarget(vendorRecords, now);
  return decisive && isRefusal(decisive.state) ? decisive : null;
}
