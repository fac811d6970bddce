import type { Channel, Identifier } from '@assent/core';
import { filterAudience, type IdentifierSource } from './audience.ts';
import { type CatalogResource, catalogResource, newIdempotencyKey, noticeVersions, seg } from './catalog.ts';
import type {
  Brand,
  BrandInput,
  BrandPatch,
  Notice,
  NoticeInput,
  NoticePatch,
  Property,
  PropertyInput,
  PropertyPatch,
  Purpose,
  PurposeInput,
  PurposePatch,
  Topic,
  TopicInput,
  TopicPatch,
  Vendor,
  VendorInput,
  VendorPatch,
} from './catalog-types.ts';
import type {
  AddedSuppression,
  AudienceQuery,
  AudienceResult,
  CheckAnswer,
  CheckQuestion,
  Suppression,
  SuppressionInput,
  SuppressionLookup,
} from './decision-types.ts';
import { createHttp, type HttpOptions } from './http.ts';
import type {
  ApiKey,
  ApiKeyInput,
  AuditEntry,
  ConsentRecord,
  ConsentStateView,
  CreatedApiKey,
  CreateOptions,
  Jwks,
  LedgerVerification,
  Page,
  PageParams,
  RecordConsentsInput,
  RecordedConsents,
  Subject,
  SubjectInput,
  SubjectToken,
  SubjectTokenInput,
  UpsertedSubject,
  Workspace,
} from './types.ts';

export type AssentClientOptions = HttpOptions;

/** The server takes at most this many checks per batch; longer lists are sent in several. */
const BATCH_MAX = 1000;

/** An identifier as `{ type, value }` or as `type:value` (e.g. `email:ana@example.com`). */
export type IdentifierRef = Identifier | string;
const refOf = (id: IdentifierRef) => (typeof id === 'string' ? id : `${id.type}:${id.value}`);

/** A typed client of the Assent API for back ends. Every method is a plain function (no `this`). */
export function createAssentClient(options: AssentClientOptions) {
  const http = createHttp(options);
  const get = async <T>(path: string, query?: object) =>
    (await http.call<T>('GET', path, { query, retry: true })).body;
  /** A create the server deduplicates by Idempotency-Key, so it is safe to send again. */
  const create = (path: string, body: unknown, options: CreateOptions = {}) =>
    http.call<unknown>('POST', path, {
      body,
      idempotencyKey: options.idempotencyKey ?? newIdempotencyKey(),
      retry: true,
    });

  const subjects = {
    /** Finds the subject by any identifier (linking the missing ones), else creates it. */
    async upsert(input: SubjectInput, options?: CreateOptions): Promise<UpsertedSubject> {
      const res = await create('/v1/subjects', input, options);
      return { subject: res.body as Subject, created: res.status === 201 };
    },
    get: (id: string) => get<Subject>(`/v1/subjects/${seg(id)}`),
    /** The subject holding this identifier, or null. */
    async find(identifier: IdentifierRef): Promise<Subject | null> {
      const page = await get<Page<Subject>>('/v1/subjects', { identifier: refOf(identifier) });
      return page.items[0] ?? null;
    },
    /** 409 when the identifier belongs to another subject: merge them instead. */
    linkIdentifier: async (id: string, identifier: Identifier) =>
      (
        await http.call<Subject>('POST', `/v1/subjects/${seg(id)}/identifiers`, {
          body: identifier,
          retry: true, // linking twice links once
        })
      ).body,
    /** Merges subject `fromId` into `intoId`; its identifiers and history follow. */
    merge: async (intoId: string, fromId: string) =>
      (await http.call<Subject>('POST', `/v1/subjects/${seg(intoId)}/merge`, { body: { from: fromId } }))
        .body,
  };

  const subjectTokens = {
    create: async (input: SubjectTokenInput) =>
      (await http.call<SubjectToken>('POST', '/v1/subject-tokens', { body: input })).body,
  };

  const consents = {
    /** Records decisions atomically; retried safely under one Idempotency-Key (random unless given). */
    record: async (input: RecordConsentsInput, options?: CreateOptions) =>
      (await create('/v1/consents', input, options)).body as RecordedConsents,
    /** Current state: one row per target x channel x scope. */
    state: (subjectId: string) => get<ConsentStateView>(`/v1/subjects/${seg(subjectId)}/consents`),
    /** The history, newest first, including subjects merged into this one. */
    history: (subjectId: string, params: PageParams = {}) =>
      get<Page<ConsentRecord>>('/v1/consent-records', { subjectId, ...params }),
    get: (id: string) => get<ConsentRecord>(`/v1/consent-records/${seg(id)}`),
    /** The record's signed receipt (a JWS); check it with `verifyReceipt(jws, await client.jwks())`. */
    receipt: async (id: string) =>
      (await get<{ receipt: string }>(`/v1/consent-records/${seg(id)}/receipt`)).receipt,
  };

  const ledger = {
    verify: () => get<LedgerVerification>('/v1/ledger/verify'),
  };

  /** May we? An unknown subject is not an error: `allowed: false, reason: 'no_consent'`. */
  const check = async (question: CheckQuestion) =>
    (await http.call<CheckAnswer>('POST', '/v1/check', { body: question, retry: true })).body;

  /** Answers in order; more than 1,000 questions are sent as several batches. */
  async function checkBatch(questions: readonly CheckQuestion[]): Promise<CheckAnswer[]> {
    const results: CheckAnswer[] = [];
    for (let i = 0; i < questions.length; i += BATCH_MAX) {
      const checks = questions.slice(i, i + BATCH_MAX);
      const res = await http.call<{ results: CheckAnswer[] }>('POST', '/v1/check/batch', {
        body: { checks },
        retry: true,
      });
      results.push(...res.body.results);
    }
    return results;
  }

  const audiences = {
    /**
     * Streams identifiers through the decision: yields those that may be contacted (or, with
     * `includeDenied`, every valid one with its reason), in input order. Never retried.
     */
    filter: (identifiers: IdentifierSource, query: AudienceQuery): AsyncGenerator<AudienceResult> =>
      filterAudience(http, identifiers, query),
  };

  const suppressions = {
    /** Idempotent: an identifier already suppressed on the channel answers the existing entry. */
    async add(input: SuppressionInput, options?: CreateOptions): Promise<AddedSuppression> {
      const res = await create('/v1/suppressions', input, options);
      return { suppression: res.body as Suppression, created: res.status === 201 };
    },
    /** Oldest first. */
    list: (params: PageParams & { channel?: Channel } = {}) =>
      get<Page<Suppression>>('/v1/suppressions', params),
    get: (id: string) => get<Suppression>(`/v1/suppressions/${seg(id)}`),
    /** Lifts a suppression. */
    remove: async (id: string) =>
      (await http.call<Suppression>('DELETE', `/v1/suppressions/${seg(id)}`)).body,
    /** Is this identifier suppressed on the channel (or on any channel)? */
    lookup: (identifier: IdentifierRef, params: { channel?: Channel } = {}) =>
      get<SuppressionLookup>('/v1/suppressions/lookup', { identifier: refOf(identifier), ...params }),
  };

  const apiKeys = {
    list: (params: PageParams = {}) => get<Page<ApiKey>>('/v1/api-keys', params),
    create: async (input: ApiKeyInput) =>
      (await http.call<CreatedApiKey>('POST', '/v1/api-keys', { body: input })).body,
    revoke: async (id: string) => (await http.call<ApiKey>('DELETE', `/v1/api-keys/${seg(id)}`)).body,
  };

  /** Operator calls: an `owner` key only. */
  const workspaces = {
    create: async (input: { key: string; name: string }, options?: CreateOptions) =>
      (await create('/v1/workspaces', input, options)).body as Workspace,
    list: (params: PageParams = {}) => get<Page<Workspace>>('/v1/workspaces', params),
    createApiKey: async (workspaceId: string, input: ApiKeyInput) =>
      (await http.call<CreatedApiKey>('POST', `/v1/workspaces/${seg(workspaceId)}/api-keys`, { body: input }))
        .body,
  };

  const auditLog = {
    /** Newest first. */
    list: (params: PageParams & { targetId?: string; actor?: string } = {}) =>
      get<Page<AuditEntry>>('/v1/audit-log', params),
  };

  return {
    subjects,
    subjectTokens,
    consents,
    ledger,
    check,
    checkBatch,
    audiences,
    brands: catalogResource<Brand, BrandInput, BrandPatch>(http, 'brands'),
    properties: catalogResource<Property, PropertyInput, PropertyPatch>(http, 'properties'),
    purposes: catalogResource<Purpose, PurposeInput, PurposePatch>(http, 'purposes'),
    vendors: catalogResource<Vendor, VendorInput, VendorPatch>(http, 'vendors'),
    topics: catalogResource<Topic, TopicInput, TopicPatch>(http, 'topics'),
    notices: {
      ...catalogResource<Notice, NoticeInput, NoticePatch>(http, 'notices'),
      ...noticeVersions(http),
    } satisfies CatalogResource<Notice, NoticeInput, NoticePatch>,
    suppressions,
    apiKeys,
    workspaces,
    auditLog,
    /** The public keys that verify receipts and ledger checkpoints. */
    jwks: () => http.getPublic<Jwks>('/.well-known/jwks.json'),
  };
}

export type AssentClient = ReturnType<typeof createAssentClient>;
