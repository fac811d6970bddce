/**
 * The wire shapes of the Assent API v1, written once for every client. Enums and domain
 * types come from @assent/core (type-only imports: nothing of core runs in the client).
 */
import type {
  Channel,
  ConsentEvidence,
  ConsentSource,
  ConsentState,
  Identifier,
  LegalBasis,
  Role,
  ScopeType,
  TargetType,
  TokenAudience,
} from '@assent/core';

// ---- lists

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface PageParams {
  /** 1 to 500; the server's default is 50. */
  limit?: number;
  cursor?: string;
}

export interface CreateOptions {
  /** Sent as `Idempotency-Key`; a random one is generated when absent, so retries are safe. */
  idempotencyKey?: string;
}

// ---- subjects

export type Attributes = Record<string, unknown>;

export interface SubjectInput {
  identifiers: Identifier[];
  attributes?: Attributes;
}
/** A subject named by id, or found (and created when missing) by its identifiers. */
export type SubjectRef = { id: string } | SubjectInput;

export interface Subject {
  id: string;
  identifiers: Identifier[];
  attributes: Attributes;
  mergedInto: string | null;
  createdAt: string;
  updatedAt: string;
}
export interface UpsertedSubject {
  subject: Subject;
  /** True when the subject did not exist (201), false when found by an identifier (200). */
  created: boolean;
}

export type SubjectTokenAudience = TokenAudience;
export interface SubjectTokenInput {
  subject: SubjectRef;
  audience: SubjectTokenAudience;
  /** 30 to 86,400; default 900. */
  ttlSeconds?: number;
}
export interface SubjectToken {
  token: string;
  subjectId: string;
  expiresAt: string;
}

// ---- consents and the ledger

export interface ConsentTarget {
  type: TargetType;
  key: string;
}
export interface ConsentDecisionInput {
  target: ConsentTarget;
  /** For topic decisions: the channel it applies to (all channels when absent). */
  channel?: Channel;
  /** `pending` is set only by double opt-in. */
  state: Exclude<ConsentState, 'pending'>;
  legalBasis?: LegalBasis;
  expiresAt?: string;
}
export type ConsentEvidenceInput = Omit<ConsentEvidence, 'noticeContentHash'>;

export interface RecordConsentsInput {
  subject: SubjectRef;
  decisions: ConsentDecisionInput[];
  scope?: { brand?: string; property?: string };
  source: ConsentSource;
  evidence?: ConsentEvidenceInput;
  /** When the person decided; default now. */
  occurredAt?: string;
}

export interface RecordScope {
  type: ScopeType;
  /** null for workspace scope. */
  key: string | null;
}
export interface ConsentRecord {
  id: string;
  subjectId: string;
  seq: number;
  target: ConsentTarget;
  channel: Channel | null;
  scope: RecordScope;
  state: ConsentState;
  legalBasis: LegalBasis | null;
  source: ConsentSource;
  evidence: ConsentEvidence;
  occurredAt: string;
  recordedAt: string;
  expiresAt: string | null;
  prevHash: string | null;
  hash: string;
}
export interface RecordedConsents {
  subjectId: string;
  records: ConsentRecord[];
}

/** One row of a subject's current state: target x channel x scope. */
export interface ConsentStateItem {
  target: ConsentTarget;
  channel: Channel | null;
  scope: RecordScope;
  state: ConsentState;
  occurredAt: string;
  expiresAt: string | null;
  record: { id: string; source: ConsentSource };
}
export interface ConsentStateView {
  /** The subject the state belongs to (the survivor when the one asked for was merged). */
  subjectId: string;
  items: ConsentStateItem[];
}

export interface LedgerProblem {
  kind: string;
  detail: string;
  recordId?: string;
  subjectId?: string;
  seq?: number;
  checkpointId?: string;
}
export interface LedgerVerification {
  ok: boolean;
  records: number;
  subjects: number;
  checkpoints: number;
  firstProblem: LedgerProblem | null;
  problems: LedgerProblem[];
}

/** The payload of a receipt JWS: a Kantara Consent Receipt v1.1 plus the record's hash. */
export interface ConsentReceipt {
  iss: string;
  sub: string;
  iat: number;
  jti: string;
  version: string;
  consentReceiptID: string;
  consentTimestamp: number;
  collectionMethod: ConsentSource;
  piiPrincipalId: string;
  piiControllers: { piiController: string; contact: string | null }[];
  services: {
    service: string;
    purposes: { purpose: string; purposeCategory: string[]; consentType: string }[];
  }[];
  state: ConsentState;
  channel: Channel | null;
  scope: RecordScope;
  evidence: { noticeVersionId: string | null; language: string | null };
  record: {
    hash: string;
    prevHash: string | null;
    seq: number;
    recordedAt: string;
    expiresAt: string | null;
  };
}

/** A public key as published at `/.well-known/jwks.json`. */
export interface Jwk {
  kty: string;
  crv?: string;
  x?: string;
  kid?: string;
  alg?: string;
  use?: string;
}
export interface Jwks {
  keys: Jwk[];
}

// ---- workspaces, keys, audit

export interface Workspace {
  id: string;
  key: string;
  name: string;
  createdAt: string;
}
export interface ApiKeyInput {
  name: string;
  role: Role;
}
export interface ApiKey {
  id: string;
  workspaceId: string;
  name: string;
  role: Role;
  /** The first characters of the secret, to recognise it. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}
export interface CreatedApiKey extends ApiKey {
  /** Shown once. */
  secret: string;
}
export interface AuditEntry {
  id: string;
  /** The API key id that acted, or `system`. */
  actor: string;
  action: string;
  targetType: string;
  targetId: string | null;
  requestId: string | null;
  at: string;
}
