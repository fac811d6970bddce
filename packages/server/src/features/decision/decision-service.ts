import {
  AssentError,
  type Decision,
  type DecisionRecord,
  decide,
  explainDecision,
  type Identifier,
  identifierHash,
  normalizeIdentifier,
  type Question,
} from '@assent/core';
import { createBatcher, eachAlone } from '../../db/statement-batcher.ts';
import { type Executor, isStatementError } from '../../db/transaction.ts';
import { createCatalogCache } from './catalog-cache.ts';
import {
  createDecisionStore,
  type FoundSubject,
  identifierKey,
  type Read,
  type TargetFilter,
} from './decision-store.ts';
import { buildQuestion, builtQuestion, Problems, type QuestionSpec } from './question-builder.ts';

export type { QuestionSpec };

export type SubjectSpec = { identifier: { type: string; value: string } } | { id: string };
export type CheckSpec = QuestionSpec & { subject: SubjectSpec };

/** A check ready to run: the subject normalised, the question resolved against the catalog. */
export interface PreparedCheck {
  subject: { identifier: Identifier } | { id: string };
  question: Question;
}

export interface CheckResult extends Decision {
  explanation?: string;
}

/** The identifier types a channel sends to: a suppression of one of them stops that channel. */
const addressTypes: Record<string, readonly string[]> = {
  email: ['email'],
  sms: ['phone'],
  phone: ['phone'],
  whatsapp: ['phone'],
  push: ['device_id', 'anonymous_id'],
  in_app: ['device_id', 'anonymous_id', 'customer_id'],
};
const isAddressFor = (channel: string, i: Identifier) => addressTypes[channel]?.includes(i.type) ?? false;

function subjectName(s: FoundSubject | undefined): string | undefined {
  if (!s?.attributes) return undefined;
  try {
    const a = JSON.parse(s.attributes) as Record<string, unknown>;
    const name =
      typeof a.firstName === 'string' ? a.firstName : typeof a.name === 'string' ? a.name : undefined;
    return name?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Single checks evaluated together at most. */
const CHECKS_TOGETHER = 16;
/** Groups of single checks being read at once; more wait and go together in the next group. */
const CHECK_GROUPS_RUNNING = 4;

const askedBy = (c: PreparedCheck) => ('id' in c.subject ? null : c.subject.identifier.type);

/**
 * Whether two checks are read with the same statements: the same workspace, who is asked (by id,
 * or the identifier's type) and what about. Only such checks are grouped, so a group's queries
 * take few shapes.
 */
function readTogether(a: WaitingCheck, b: WaitingCheck): boolean {
  const p = a.check.question;
  const q = b.check.question;
  if (a.workspaceId !== b.workspaceId || askedBy(a.check) !== askedBy(b.check)) return false;
  if (p.kind === 'contact') return q.kind === 'contact' && p.channel === q.channel && p.topic === q.topic;
  return q.kind === 'processing' && p.purpose === q.purpose && p.vendor === q.vendor;
}

type WaitingCheck = { workspaceId: string; check: PreparedCheck };

export interface DecisionServiceOptions {
  catalogTtlMs?: number;
  /** The hot-path reader (`Db.readRows`); Kysely's executor by default. */
  read?: Read;
  /** Ends the reader's shared snapshot (`Db.endReads`), called when a group of checks is done. */
  endReads?: () => void;
}

/**
 * Answers "may we?" for one check, a batch or a chunk of an audience, with the same few reads
 * whatever the count: subjects, their consent state, suppressions. Checks are not audited: they
 * read no personal data record, and they are the hot path.
 */
export function createDecisionService(db: Executor, opts: DecisionServiceOptions = {}) {
  const store = createDecisionStore(db, opts.read);
  const catalog = createCatalogCache(db, { ttlMs: opts.catalogTtlMs });

  /** The question alone (audience filter): 422 naming each bad field. */
  async function prepareQuestion(workspaceId: string, spec: QuestionSpec, at = ''): Promise<Question> {
    const problems = new Problems();
    const snap = await catalog.snapshot(workspaceId);
    const { question } = await buildQuestion(catalog, workspaceId, snap, spec, at, problems);
    problems.throwIfAny();
    return question as Question;
  }

  /** Validates every check before any runs; errors name the offending check by pointer. */
  async function prepare(workspaceId: string, specs: CheckSpec[], pointer: (i: number) => string) {
    const problems = new Problems();
    let snap = await catalog.snapshot(workspaceId);
    const out: PreparedCheck[] = [];
    for (const [i, spec] of specs.entries()) {
      const at = pointer(i);
      const known = builtQuestion(snap, spec);
      const built = known
        ? { question: known }
        : await buildQuestion(catalog, workspaceId, snap, spec, at, problems);
      if ('snap' in built) snap = built.snap;
      let subject: PreparedCheck['subject'] | null = null;
      if ('id' in spec.subject) subject = { id: spec.subject.id };
      else {
        try {
          subject = { identifier: normalizeIdentifier(spec.subject.identifier) };
        } catch (err) {
          if (!(err instanceof AssentError)) throw err;
          problems.add(err.code, `${at}/subject/identifier/value`, err.message);
        }
      }
      if (built.question && subject) out.push({ subject, question: built.question });
    }
    problems.throwIfAny();
    return out;
  }

  /** Runs prepared checks in bulk; an unknown subject is answered as one with no records. */
  async function evaluate(
    workspaceId: string,
    checks: PreparedCheck[],
    opts: { explain: boolean; now?: string },
  ): Promise<CheckResult[]> {
    const targets: TargetFilter = {
      topics: new Set(),
      channels: new Set(),
      purposes: new Set(),
      vendors: new Set(),
    };
    const channels = new Set<string>();
    const identifiers: Identifier[] = [];
    const ids: string[] = [];
    const hashes = new Map<string, string>();
    const hashOf = (i: Identifier) => {
      const k = identifierKey(i);
      const known = hashes.get(k);
      if (known !== undefined) return known;
      const h = identifierHash(i);
      hashes.set(k, h);
      return h;
    };
    const ownHash: (string | undefined)[] = [];
    const seen = new Set<Question>();
    for (const c of checks) {
      const q = c.question;
      if (!seen.has(q)) {
        seen.add(q);
        if (q.kind === 'processing') {
          targets.purposes.add(q.purpose);
          if (q.vendor) targets.vendors.add(q.vendor);
        } else {
          targets.channels.add(q.channel);
          if (q.topic) for (const t of [q.topic, ...(q.topicAncestors ?? [])]) targets.topics.add(t);
          channels.add(q.channel);
        }
      }
      if ('id' in c.subject) {
        ids.push(c.subject.id);
        ownHash.push(undefined);
      } else {
        identifiers.push(c.subject.identifier);
        ownHash.push(q.kind === 'contact' ? hashOf(c.subject.identifier) : undefined);
      }
    }
    // one round: subjects found by identifier with their state, subjects by id, suppressions of the identifiers asked
    const [byIdentifier, byId, ownSuppressions] = await Promise.all([
      store.findWithState(workspaceId, identifiers, targets, { attributes: opts.explain }),
      store.byIds(workspaceId, ids, opts.explain),
      store.suppressions(workspaceId, [...channels], [...hashes.values()]),
    ]);
    const states = byIdentifier.states;
    const subjectOf = (c: PreparedCheck) =>
      'id' in c.subject
        ? byId.get(c.subject.id)
        : byIdentifier.found.get(identifierKey(c.subject.identifier));

    // a second round only when a subject's other identifiers count: asked by id, or by an identifier
    // that is not an address on the channel (a customer id for email: the person's email addresses count)
    const needHeld = checks.filter(
      (c) =>
        c.question.kind === 'contact' &&
        subjectOf(c) !== undefined &&
        !('identifier' in c.subject && isAddressFor(c.question.channel, c.subject.identifier)),
    );
    let suppressions = ownSuppressions;
    const heldHashes = new Map<PreparedCheck, string[]>();
    if (byId.size || needHeld.length) {
      const unheld = [
        ...new Set(needHeld.flatMap((c) => ('identifier' in c.subject ? [subjectOf(c)?.id as string] : []))),
      ];
      const [held, idStates] = await Promise.all([
        store.identifiersOf(workspaceId, unheld),
        store.stateOf(workspaceId, [...new Set([...byId.values()].map((s) => s.id))], targets),
      ]);
      for (const [id, list] of idStates) states.set(id, list);
      for (const c of needHeld) {
        const sub = subjectOf(c) as FoundSubject;
        const all = held.get(sub.id) ?? sub.identifiers;
        const channel = (c.question as { channel: string }).channel;
        const addresses = all.filter((i) => isAddressFor(channel, i));
        heldHashes.set(c, (addresses.length ? addresses : all).map(hashOf));
      }
      const extra = [...new Set([...heldHashes.values()].flat())];
      if (extra.length) {
        const more = await store.suppressions(workspaceId, [...channels], extra);
        suppressions = new Map([...ownSuppressions, ...more]);
      }
    }
    const suppressionOf = (c: PreparedCheck, i: number, channel: string) => {
      const own = ownHash[i];
      const hit = own === undefined ? undefined : suppressions.get(`${channel} ${own}`);
      if (hit) return hit;
      for (const h of heldHashes.get(c) ?? []) {
        const held = suppressions.get(`${channel} ${h}`);
        if (held) return held;
      }
      return undefined;
    };

    const now = opts.now ?? new Date().toISOString();
    const none: DecisionRecord[] = [];
    // without records or suppression the answer depends on the question alone: decide it once
    const blank = new Map<Question, Decision>();
    return checks.map((c, i) => {
      const s = subjectOf(c);
      let q = c.question;
      if (q.kind === 'contact') {
        const hit = suppressionOf(c, i, q.channel);
        if (hit) q = { ...q, suppressed: { reason: hit.reason, at: hit.createdAt } };
      }
      const records = (s && states.get(s.id)) || none;
      let d: CheckResult;
      if (records === none && !opts.explain && q === c.question) {
        d = blank.get(q) ?? decide(q, none, now);
        blank.set(q, d);
      } else d = decide(q, records, now);
      if (opts.explain) d.explanation = explainDecision(q, d, subjectName(s));
      return d;
    });
  }

  /**
   * Single checks (`POST /v1/check`) that arrive in the same turn of the event loop, as they do
   * from many callers at once, are evaluated together like a batch when they ask the same kind of
   * question (`readTogether`): the same few reads answer them all. When PostgreSQL refuses a group's
   * statement, each of its checks is evaluated again on its own, so one check cannot fail
   * another's answer; any other error (a lost connection) fails the group.
   */
  const evaluateOne = (w: WaitingCheck) =>
    evaluate(w.workspaceId, [w.check], { explain: true }).then(([result]) => result);
  async function evaluateGroup(group: WaitingCheck[]): Promise<PromiseSettledResult<CheckResult>[]> {
    if (group.length === 1) return eachAlone(group, evaluateOne);
    try {
      const checks = group.map((w) => w.check);
      const results = await evaluate(group[0].workspaceId, checks, { explain: true });
      return results.map((value) => ({ status: 'fulfilled', value }) as const);
    } catch (err) {
      if (!isStatementError(err)) throw err;
      return eachAlone(group, evaluateOne);
    }
  }
  const checkTogether = createBatcher<WaitingCheck, CheckResult>({
    maxRunning: CHECK_GROUPS_RUNNING,
    take: (queue) => queue.filter((w) => readTogether(w, queue[0])).slice(0, CHECKS_TOGETHER),
    // a group runs from setImmediate: its reads' snapshot must not last into the next turn
    run: (group) => evaluateGroup(group).finally(() => opts.endReads?.()),
  });

  return {
    prepare,
    prepareQuestion,
    evaluate,
    /** One check, validated: 422 for unknown keys or a malformed question. */
    async check(workspaceId: string, spec: CheckSpec): Promise<CheckResult> {
      const [check] = await prepare(workspaceId, [spec], () => '');
      return checkTogether({ workspaceId, check });
    },
    async checkBatch(workspaceId: string, specs: CheckSpec[]): Promise<CheckResult[]> {
      const prepared = await prepare(workspaceId, specs, (i) => `/checks/${i}`);
      return evaluate(workspaceId, prepared, { explain: true });
    },
    catalog,
  };
}

export type DecisionService = ReturnType<typeof createDecisionService>;
