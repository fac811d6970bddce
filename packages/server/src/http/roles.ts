import type { Role } from '@assent/core';

/** Which roles may do what. A /v1 route names one of these; a route that names none is refused. */
export const allow = {
  manageWorkspaces: ['owner'],
  manageKeys: ['owner', 'admin'],
  writeCatalog: ['owner', 'admin', 'editor'],
  readCatalog: ['owner', 'admin', 'editor', 'viewer', 'agent', 'dsr'],
  readSubjects: ['owner', 'admin', 'editor', 'viewer', 'agent', 'dsr'],
  writeSubjects: ['owner', 'admin', 'editor', 'agent', 'dsr'],
  mergeSubjects: ['owner', 'admin', 'editor', 'dsr'],
  recordConsent: ['owner', 'admin', 'editor', 'agent'],
  check: ['owner', 'admin', 'editor', 'viewer', 'agent'],
  readLedger: ['owner', 'admin', 'editor', 'viewer', 'dsr'],
  manageSuppressions: ['owner', 'admin', 'editor'],
  readAudit: ['owner', 'admin'],
  issueTokens: ['owner', 'admin', 'editor'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof allow;
