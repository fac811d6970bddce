/**
 * Table types for Kysely. Timestamps are RFC 3339 UTC strings with milliseconds (they sort as
 * text on both databases); JSON is stored as text; booleans as 0/1.
 */
export interface WorkspaceTable {
  id: string;
  key: string;
  name: string;
  settings: string;
  created_at: string;
}

export interface ApiKeyTable {
  id: string;
  workspace_id: string;
  name: string;
  role: string;
  /** First characters of the secret, shown in lists so a key can be recognised. */
  prefix: string;
  secret_hash: string;
  created_at: string;
  revoked_at: string | null;
}

export interface AuditLogTable {
  id: string;
  workspace_id: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string | null;
  request_id: string | null;
  at: string;
}

/** Brands, properties, purposes, vendors, topics and notices: one row shape, typed at the edge. */
export interface CatalogObjectTable {
  id: string;
  workspace_id: string;
  kind: string;
  key: string;
  name: string;
  /** The kind's other fields as JSON. */
  data: string;
  /** Topics: the parent's key; properties: the brand's key. */
  parent_key: string | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface NoticeVersionTable {
  id: string;
  workspace_id: string;
  notice_id: string;
  version: number;
  language: string;
  content: string;
  content_hash: string;
  material: number;
  created_at: string;
}

export interface SubjectTable {
  id: string;
  workspace_id: string;
  attributes: string;
  /** Set when this subject was merged into another one: its history follows the survivor. */
  merged_into: string | null;
  /** Length and head of this subject's hash chain in the ledger. */
  ledger_seq: number;
  ledger_head: string | null;
  created_at: string;
  updated_at: string;
}

export interface SubjectIdentifierTable {
  id: string;
  workspace_id: string;
  subject_id: string;
  type: string;
  value: string;
  created_at: string;
}

export interface ConsentRecordTable {
  id: string;
  workspace_id: string;
  subject_id: string;
  seq: number;
  target_type: string;
  target_key: string;
  channel: string;
  scope_type: string;
  scope_key: string;
  state: string;
  legal_basis: string | null;
  source: string;
  evidence: string;
  occurred_at: string;
  recorded_at: string;
  expires_at: string | null;
  prev_hash: string | null;
  hash: string;
}

export interface ConsentStateTable {
  workspace_id: string;
  subject_id: string;
  target_type: string;
  target_key: string;
  channel: string;
  scope_type: string;
  scope_key: string;
  state: string;
  record_id: string;
  source: string;
  occurred_at: string;
  expires_at: string | null;
}

export interface SuppressionTable {
  id: string;
  workspace_id: string;
  channel: string;
  /** sha256 of the normalised identifier, so suppression survives erasure. */
  identifier_hash: string;
  reason: string;
  created_at: string;
}

export interface CheckpointTable {
  id: string;
  workspace_id: string;
  from_at: string;
  to_at: string;
  record_count: number;
  merkle_root: string;
  signature: string;
  created_at: string;
}

export interface OutboxTable {
  id: string;
  workspace_id: string;
  type: string;
  payload: string;
  created_at: string;
  delivered_at: string | null;
}

export interface PropertyKeyTable {
  publishable_key: string;
  workspace_id: string;
  property_id: string;
  created_at: string;
}

export interface BannerEventTable {
  workspace_id: string;
  property_id: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  variant: string;
  type: string;
  count: number;
}

export interface IdempotencyKeyTable {
  workspace_id: string;
  key: string;
  request_hash: string;
  status_code: number;
  response: string;
  created_at: string;
}

export interface Database {
  workspaces: WorkspaceTable;
  api_keys: ApiKeyTable;
  audit_log: AuditLogTable;
  catalog_objects: CatalogObjectTable;
  notice_versions: NoticeVersionTable;
  subjects: SubjectTable;
  subject_identifiers: SubjectIdentifierTable;
  consent_records: ConsentRecordTable;
  consent_state: ConsentStateTable;
  suppressions: SuppressionTable;
  checkpoints: CheckpointTable;
  outbox: OutboxTable;
  idempotency_keys: IdempotencyKeyTable;
  property_keys: PropertyKeyTable;
  banner_events: BannerEventTable;
}
