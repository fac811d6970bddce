/** Wire shapes of the decision API: checks, the audience filter and the suppression list. */
import type {
  Channel,
  ConsentSource,
  ConsentState,
  DecisionReason,
  Identifier,
  IdentifierType,
  SuppressionReason,
} from '@assent/core';
import type { ConsentTarget, RecordScope } from './types.ts';

export type CheckSubject = { identifier: Identifier } | { id: string };
interface ScopeFields {
  brand?: string;
  /** Its brand applies when `brand` is left out. */
  property?: string;
}
/** May we contact them on a channel (about a topic)? */
export interface ContactQuestion extends ScopeFields {
  channel: Channel;
  topic?: string;
  purpose?: never;
  vendor?: never;
}
/** May a vendor process their data for a purpose? */
export interface ProcessingQuestion extends ScopeFields {
  purpose: string;
  vendor?: string;
  channel?: never;
  topic?: never;
}
export type DecisionQuestion = ContactQuestion | ProcessingQuestion;
export type CheckQuestion = DecisionQuestion & { subject: CheckSubject };

export interface CheckRecord {
  id: string;
  occurredAt: string;
  source: ConsentSource;
  state: ConsentState;
  target: ConsentTarget;
  channel: Channel | null;
  scope: RecordScope;
  expiresAt: string | null;
}
export interface CheckAnswer {
  allowed: boolean;
  reason: DecisionReason;
  /** One sentence that says why. */
  explanation: string;
  record: CheckRecord | null;
}

export type AudienceQuery = DecisionQuestion & {
  /** The type of the identifiers sent; default `email`. */
  identifierType?: IdentifierType;
  /** Also answer the identifiers that may not be contacted, with their reason. */
  includeDenied?: boolean;
  /** Wire format; `ndjson` (default) reports invalid lines precisely. */
  format?: 'ndjson' | 'csv';
  /** Called for each identifier the server could not read (invalid email, phone, ...). */
  onInvalid?: (invalid: InvalidAudienceLine) => void;
  signal?: AbortSignal;
};
export interface AudienceResult {
  identifier: string;
  allowed: boolean;
  reason: DecisionReason;
}
export interface InvalidAudienceLine {
  /** 1-based position of the identifier in the input. */
  line: number;
  identifier: string;
  error: string;
}

export type { SuppressionReason };

export interface SuppressionInput {
  identifier: Identifier;
  channel: Channel;
  reason: SuppressionReason;
}
export interface Suppression {
  id: string;
  channel: Channel;
  /** sha256 of `type:value` of the normalised identifier. */
  identifierHash: string;
  reason: SuppressionReason;
  createdAt: string;
}
export interface AddedSuppression {
  suppression: Suppression;
  /** False when the identifier was already suppressed on the channel. */
  created: boolean;
}
export interface SuppressionLookup {
  suppressed: boolean;
  identifierHash: string;
  items: Suppression[];
}
