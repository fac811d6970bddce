import type { LedgerRecord } from '@assent/core';
import type { AppDeps } from '../../app-deps.ts';
import { parseJson } from '../../shared/json.ts';

/**
 * A signed receipt of one ledger record: the information of a Kantara Consent Receipt v1.1
 * (principal, controller, purposes, collection method, timestamp) plus the record's hash.
 */
export async function receiptFor(deps: AppDeps, r: LedgerRecord): Promise<string> {
  const ws = await deps.db.kysely
    .selectFrom('workspaces')
    .select(['name', 'key'])
    .where('id', '=', r.workspaceId)
    .executeTakeFirstOrThrow();
  const brand =
    r.scopeType === 'brand'
      ? await deps.db.kysely
          .selectFrom('catalog_objects')
          .select(['name', 'data'])
          .where('workspace_id', '=', r.workspaceId)
          .where('kind', '=', 'brand')
          .where('key', '=', r.scopeKey)
          .executeTakeFirst()
      : undefined;
  const contact = brand ? parseJson<{ contact?: Record<string, string> }>(brand.data, {}).contact : undefined;
  const iat = Math.floor(Date.now() / 1000);
  return deps.signer.sign({
    iss: deps.config.publicUrl,
    sub: r.subjectId,
    iat,
    jti: r.id,
    version: 'KI-CR-v1.1.0',
    consentReceiptID: r.id,
    consentTimestamp: Math.floor(Date.parse(r.occurredAt) / 1000),
    collectionMethod: r.source,
    piiPrincipalId: r.subjectId,
    piiControllers: [{ piiController: brand?.name ?? ws.name, contact: contact?.email ?? null }],
    services: [
      {
        service:
          r.targetType === 'topic' || r.targetType === 'channel'
            ? `${r.targetType}:${r.targetKey}`
            : r.targetKey,
        purposes: [
          { purpose: r.targetKey, purposeCategory: [r.targetType], consentType: r.legalBasis ?? 'consent' },
        ],
      },
    ],
    state: r.state,
    channel: r.channel || null,
    scope: { type: r.scopeType, key: r.scopeKey || null },
    evidence: { noticeVersionId: r.evidence.noticeVersionId ?? null, language: r.evidence.language ?? null },
    record: {
      hash: r.hash,
      prevHash: r.prevHash,
      seq: r.seq,
      recordedAt: r.recordedAt,
      expiresAt: r.expiresAt,
    },
  });
}
