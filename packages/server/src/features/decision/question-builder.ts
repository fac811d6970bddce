import { AssentError, type ErrorCode, type FieldError, type Question } from '@assent/core';
import { type CatalogCache, type CatalogSnapshot, topicAncestors } from './catalog-cache.ts';

/** What is asked, by catalog keys: contact (channel, topic) or processing (purpose, vendor). */
export interface QuestionSpec {
  channel?: string;
  topic?: string;
  purpose?: string;
  vendor?: string;
  brand?: string;
  property?: string;
}

/** Collects every problem of a request, so one answer names them all. */
export class Problems {
  readonly errors: (FieldError & { code: ErrorCode })[] = [];
  add(code: ErrorCode, pointer: string, detail: string) {
    this.errors.push({ code, pointer, detail });
  }
  throwIfAny() {
    if (this.errors.length === 0) return;
    const codes = new Set(this.errors.map((e) => e.code));
    const code = codes.size === 1 ? this.errors[0].code : 'unprocessable';
    const detail =
      this.errors.length === 1
        ? this.errors[0].detail
        : `${this.errors.length} problems: ${this.errors[0].detail}; ...`;
    throw new AssentError(
      code,
      detail,
      this.errors.map(({ pointer, detail }) => ({ pointer, detail })),
    );
  }
}

/** Questions built from each catalog snapshot, by their keys: the hot path asks the same few again and again. */
const built = new WeakMap<CatalogSnapshot, Map<string, Question>>();
const part = (v: string | undefined) => (v === undefined ? '-' : `${v.length}:${v}`);
const specKey = (s: QuestionSpec) =>
  part(s.channel) + part(s.topic) + part(s.purpose) + part(s.vendor) + part(s.brand) + part(s.property);

/** The question this snapshot answered for the same keys before; undefined the first time (or for a bad spec). */
export function builtQuestion(snap: CatalogSnapshot, spec: QuestionSpec): Question | undefined {
  return built.get(snap)?.get(specKey(spec));
}

function remember(snap: CatalogSnapshot, spec: QuestionSpec, question: Question): Question {
  let questions = built.get(snap);
  if (!questions) {
    questions = new Map();
    built.set(snap, questions);
  }
  // a snapshot lives a few seconds; a caller asking ever new keys cannot grow it past this
  if (questions.size < 1000) questions.set(specKey(spec), question);
  return question;
}

/** Resolves a spec's keys against the catalog; a missing key is reported, after one re-read of the catalog. */
export async function buildQuestion(
  catalog: CatalogCache,
  workspaceId: string,
  snap: CatalogSnapshot,
  spec: QuestionSpec,
  at: string,
  problems: Problems,
): Promise<{ question: Question | null; snap: CatalogSnapshot }> {
  const missing = (s: CatalogSnapshot) =>
    (spec.topic !== undefined && !s.topicParents.has(spec.topic)) ||
    (spec.purpose !== undefined && !s.purposes.has(spec.purpose)) ||
    (spec.vendor !== undefined && !s.vendors.has(spec.vendor)) ||
    (spec.brand !== undefined && !s.brands.has(spec.brand)) ||
    (spec.property !== undefined && !s.properties.has(spec.property));
  if (missing(snap)) snap = await catalog.refreshForMiss(workspaceId, snap);

  const before = problems.errors.length;
  const bad = (field: string, detail: string) => problems.add('unprocessable', `${at}/${field}`, detail);
  const contact = spec.channel !== undefined;
  const processing = spec.purpose !== undefined;
  if (contact && processing) {
    problems.add(
      'unprocessable',
      at || '/',
      'Ask either about contact (channel, topic) or about processing (purpose, vendor), not both',
    );
  } else if (!contact && !processing) {
    problems.add('unprocessable', at || '/', 'Name a channel (and a topic) or a purpose (and a vendor)');
  }
  if (spec.topic !== undefined && !contact) bad('topic', 'A topic needs a channel');
  if (spec.vendor !== undefined && !processing) bad('vendor', 'A vendor needs a purpose');
  const known: [keyof QuestionSpec, string, (k: string) => boolean][] = [
    ['topic', 'topic', (k) => snap.topicParents.has(k)],
    ['purpose', 'purpose', (k) => snap.purposes.has(k)],
    ['vendor', 'vendor', (k) => snap.vendors.has(k)],
    ['brand', 'brand', (k) => snap.brands.has(k)],
    ['property', 'property', (k) => snap.properties.has(k)],
  ];
  for (const [field, kind, has] of known) {
    const key = spec[field];
    if (key !== undefined && !has(key)) bad(field, `No ${kind} with key "${key}" in this workspace`);
  }
  if (problems.errors.length > before) return { question: null, snap };

  const brand = spec.brand ?? (spec.property ? (snap.properties.get(spec.property) ?? undefined) : undefined);
  const scope = { brand, property: spec.property };
  if (spec.channel !== undefined) {
    const topicAncestorKeys = spec.topic ? topicAncestors(snap, spec.topic) : [];
    const question: Question = {
      kind: 'contact',
      channel: spec.channel,
      topic: spec.topic,
      topicAncestors: topicAncestorKeys,
      scope,
    };
    return { question: remember(snap, spec, question), snap };
  }
  const purpose = snap.purposes.get(spec.purpose as string);
  const question: Question = {
    kind: 'processing',
    purpose: spec.purpose as string,
    vendor: spec.vendor,
    legalBasis: purpose?.legalBasis ?? 'consent',
    necessary: purpose?.category === 'necessary',
    scope,
  };
  return { question: remember(snap, spec, question), snap };
}
