export { canonicalJson } from './canonical-json.ts';
export type {
  BannerConfig,
  BannerEventType,
  BannerInteraction,
  BannerLabels,
  BannerPurpose,
  BannerTexts,
  BannerVendor,
  CollectConsentBody,
  CollectEventBody,
  CollectIdentifyBody,
  CollectIdentifyResult,
} from './collect.ts';
export { bannerEventTypes, bannerInteractions, DEFAULT_CHOICE_DAYS, MAX_CHOICE_DAYS } from './collect.ts';
export type {
  ContactQuestion,
  Decision,
  DecisionReason,
  DecisionRecord,
  ProcessingQuestion,
  Question,
  Scope,
} from './decision.ts';
export { candidatesFor, decide, decisionReasons } from './decision.ts';
export type { ErrorCode, FieldError } from './errors.ts';
export { AssentError, errorCodes } from './errors.ts';
export { explainDecision } from './explain.ts';
export type { Identifier, IdentifierType } from './identifiers.ts';
export {
  byCodeUnits,
  compareIdentifiers,
  identifierHash,
  identifierTypes,
  isIdentifierType,
  normalizeIdentifier,
  parseIdentifierRef,
} from './identifiers.ts';
export { rateLimitKey, truncateIp } from './ip.ts';
export { createMerkleAccumulator, hashRecord, hashStoredRecord, merkleRoot } from './ledger-hash.ts';
export * from './types.ts';
