import { AssentError } from '@assent/core';
import type { Executor } from '../../db/transaction.ts';
import { type Actor, auditEntry } from '../../http/context.ts';
import { audit } from '../audit/audit-log.ts';
import { emit } from '../outbox/outbox.ts';
import { createCatalogStore } from './catalog-store.ts';
import { createNoticeVersionStore, type NoticeVersion } from './notice-version-store.ts';

export interface NewNoticeVersion {
  /** A BCP 47 tag: `en`, `fr-CA`; stored in its canonical case. */
  language: string;
  content: string;
  /** A material change asks everyone again. */
  material?: boolean;
}

/** The canonical form of a BCP 47 tag (`fr-ca` -> `fr-CA`), or a 400 naming the field. */
export function canonicalLanguage(tag: string): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    if (canonical && canonical.length <= 16) return canonical;
  } catch {
    // reported below
  }
  throw new AssentError('validation_failed', `"${tag}" is not a BCP 47 language tag`, [
    { pointer: '/language', detail: 'must be a BCP 47 language tag such as en or fr-CA' },
  ]);
}

/**
 * Adds the next version of a notice in one language. Versions are immutable; numbering is per
 * notice and language, serialised by a lock on the notice's row.
 */
export async function createNoticeVersion(
  trx: Executor,
  actor: Actor,
  noticeId: string,
  input: NewNoticeVersion,
): Promise<NoticeVersion> {
  const language = canonicalLanguage(input.language);
  const versions = createNoticeVersionStore(trx);
  await versions.lockNotice(trx, actor.workspaceId, noticeId);
  const notice = await createCatalogStore(trx).byId(actor.workspaceId, 'notice', noticeId);
  if (!notice) throw new AssentError('not_found', 'The notice was not found');
  if (notice.archivedAt) throw new AssentError('conflict', `The notice "${notice.key}" is archived`);
  const v = await versions.create(trx, {
    workspaceId: actor.workspaceId,
    noticeId,
    language,
    content: input.content,
    material: input.material ?? false,
  });
  await audit(trx, auditEntry(actor, 'notice.version_create', 'notice_version', v.id));
  await emit(trx, actor.workspaceId, 'notice.version_created', {
    noticeId,
    noticeKey: notice.key,
    id: v.id,
    version: v.version,
    language: v.language,
    contentHash: v.contentHash,
    material: v.material,
  });
  return v;
}
