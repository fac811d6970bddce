/** Wire and domain types shared by the server, the banner and the client. */

export const channels = ['email', 'sms', 'push', 'phone', 'post', 'in_app', 'whatsapp'] as const;
export type Channel = (typeof channels)[number];

export const targetTypes = ['purpose', 'vendor', 'channel', 'topic'] as const;
export type TargetType = (typeof targetTypes)[number];

export const consentStates = ['granted', 'denied', 'withdrawn', 'pending'] as const;
export type ConsentState = (typeof consentStates)[number];

export const legalBases = ['consent', 'legitimate_interest', 'contract', 'legal_obligation'] as const;
export type LegalBasis = (typeof legalBases)[number];

export const purposeCategories = ['necessary', 'preferences', 'analytics', 'marketing'] as const;
export type PurposeCategory = (typeof purposeCategories)[number];

export const consentSources = [
  'banner',
  'preference_center',
  'form',
  'api',
  'import',
  'email_unsubscribe',
  'sms_keyword',
  'double_opt_in',
  'call_center',
  'in_store',
  'paper',
] as const;
export type ConsentSource = (typeof consentSources)[number];

export const scopeTypes = ['workspace', 'brand', 'property'] as const;
export type ScopeType = (typeof scopeTypes)[number];

export const roles = ['owner', 'admin', 'editor', 'viewer', 'agent', 'dsr'] as const;
export type Role = (typeof roles)[number];

export const propertyTypes = ['web', 'app', 'email', 'sms', 'call_center', 'store'] as const;
export type PropertyType = (typeof propertyTypes)[number];

export const noticeKinds = ['banner', 'form', 'call_script', 'privacy_policy'] as const;
export type NoticeKind = (typeof noticeKinds)[number];

/** Why an identifier is on the suppression list. */
export const suppressionReasons = [
  'hard_bounce',
  'complaint',
  'manual',
  'erasure',
  'invalid_address',
  'spam_trap',
  'sms_stop',
  'carrier_block',
] as const;
export type SuppressionReason = (typeof suppressionReasons)[number];

/** Who a subject token is for: the banner's identify, or a preference-center link. */
export const tokenAudiences = ['banner', 'preferences'] as const;
export type TokenAudience = (typeof tokenAudiences)[number];

export const consentModeTypes = [
  'ad_storage',
  'ad_user_data',
  'ad_personalization',
  'analytics_storage',
  'functionality_storage',
  'personalization_storage',
  'security_storage',
] as const;
export type ConsentModeType = (typeof consentModeTypes)[number];

export interface ConsentEvidence {
  noticeVersionId?: string;
  noticeContentHash?: string;
  language?: string;
  uiVariant?: string;
  ipAddress?: string;
  userAgent?: string;
  collectedBy?: string;
  gpc?: boolean;
  interaction?: string;
  note?: string;
}

/** One ledger entry as it is hashed and stored. */
export interface LedgerRecord {
  id: string;
  workspaceId: string;
  subjectId: string;
  seq: number;
  targetType: TargetType;
  targetKey: string;
  /** '' when the decision is not about a channel. */
  channel: string;
  scopeType: ScopeType;
  /** '' for workspace scope. */
  scopeKey: string;
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
