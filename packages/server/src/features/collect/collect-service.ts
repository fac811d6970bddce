import {
  AssentError,
  type CollectConsentBody,
  type CollectEventBody,
  type CollectIdentifyResult,
  decide,
  type FieldError,
  type Identifier,
} from '@assent/core';
import type { AppDeps } from '../../app-deps.ts';
import type { Executor } from '../../db/transaction.ts';
import { type Actor, auditEntry } from '../../http/context.ts';
import { BROWSER_KEY_PREFIX, BROWSER_KEY_TTL_MS, idempotent } from '../../http/idempotency.ts';
import { audit } from '../audit/audit-log.ts';
import { createCatalogStore } from '../catalog/catalog-store.ts';
import { createConsentService } from '../consents/consent-service.ts';
import { toRecord } from '../decision/decision-store.ts';
import { verifySubjectToken } from '../subjects/subject-token.ts';
import { bannerNoticeOf, type CollectProperty } from './banner-config.ts';

/** Identifier types a browser may hold without naming a person: a visitor made only of these may be merged. */
const ANONYMOUS_TYPES = new Set(['anonymous_id', 'device_id']);

export interface CollectContext {
  requestId: string;
  ip: string;
  userAgent: string | undefined;
  idempotencyKey: string | undefined;
}

const CLOCK_SKEW_MS = 5 * 60_000;
/** Older than this, a queued choice is dated when it arrives (the browser's clock is not trusted further). */
const MAX_DELAY_MS = 7 * 86_400_000;

const unprocessable = (errors: FieldError[]) =>
  new AssentError('unprocessable', errors.map((e) => e.detail).join('; '), errors);

/** The browser side of the ledger: banner choices, identify, and the banner's counters. */
export function createCollectService(deps: AppDeps) {
  const db = deps.db.kysely;
  const consents = createConsentService(deps);
  const subjects = consents.subjects;
  const actorFor = (cp: CollectProperty, requestId: string): Actor => ({
    workspaceId: cp.workspaceId,
    actor: `banner:${cp.property.key}`,
    requestId,
  });
  const anonymous = (value: string): Identifier => ({ type: 'anonymous_id', value });

  /**
   * Ties the visitor's anonymous id to the known subject: linked when free, and a visitor made
   * only of anonymous ids is merged in (its earlier choices follow). An id held by another known
   * person (a shared device) is left alone.
   */
  async function linkVisitor(trx: Executor, actor: Actor, subjectId: string, anonymousId: string) {
    const owner = await subjects.find(actor.workspaceId, anonymous(anonymousId), trx);
    if (owner === subjectId) return;
    if (!owner) {
      await subjects.store.addIdentifier(trx, actor.workspaceId, subjectId, anonymous(anonymousId));
      return;
    }
    const visitor = await subjects.store.require(actor.workspaceId, owner, trx);
    if (!visitor.identifiers.every((i) => ANONYMOUS_TYPES.has(i.type))) return;
    try {
      await consents.mergeSubjects(trx, actor, subjectId, owner);
    } catch (err) {
      // the same browser identified twice at once (two tabs): the other merge came first
      const merged = err instanceof AssentError && err.code === 'conflict';
      if (!merged || (await subjects.store.require(actor.workspaceId, owner, trx)).mergedInto !== subjectId)
        throw err;
    }
  }

  async function survivorOf(trx: Executor, workspaceId: string, subjectId: string) {
    const s = await subjects.store.require(workspaceId, subjectId, trx);
    return s.mergedInto ?? s.id;
  }

  /** The version shown must be one of the property's own banner notice, in the language sent. */
  async function noticeVersion(cp: CollectProperty, id: string, language: string) {
    const banner = await bannerNoticeOf(db, cp);
    const v = await createCatalogStore(db).noticeVersion(cp.workspaceId, id);
    if (!banner || !v || v.noticeId !== banner.notice.id) {
      throw unprocessable([
        { pointer: '/noticeVersionId', detail: "not a version of this property's banner notice" },
      ]);
    }
    if (v.language.toLowerCase() !== language.toLowerCase()) {
      throw unprocessable([
        { pointer: '/language', detail: `the notice version shown is in "${v.language}"` },
      ]);
    }
    return v;
  }

  /** The person's choice time as the browser saw it, kept when plausible: late deliveries keep their place. */
  function occurredAt(decidedAt: string | undefined): string | undefined {
    if (!decidedAt) return undefined;
    const t = Date.parse(decidedAt);
    const now = Date.now();
    return Number.isFinite(t) && t <= now + CLOCK_SKEW_MS && t >= now - MAX_DELAY_MS
      ? new Date(Math.min(t, now)).toISOString()
      : undefined;
  }

  /** A stale or foreign token does not lose the choice: it is recorded for the browser's visitor. */
  async function tokenClaims(cp: CollectProperty, token: string | undefined) {
    if (!token) return null;
    try {
      return await verifySubjectToken(deps.signer, token, {
        audience: 'banner',
        workspaceId: cp.workspaceId,
      });
    } catch {
      return null;
    }
  }

  return {
    /** Records a banner choice in the ledger (source `banner`, scope: the property), idempotently. */
    async recordChoice(cp: CollectProperty, body: CollectConsentBody, ctx: CollectContext) {
      const version = await noticeVersion(cp, body.noticeVersionId, body.language);
      const purposes = await createCatalogStore(db).list(cp.workspaceId, 'purpose', {});
      const byKey = new Map(purposes.map((p) => [p.key, p]));
      const decisions: { target: { type: 'purpose'; key: string }; state: 'granted' | 'denied' }[] = [];
      for (const [key, granted] of Object.entries(body.decisions)) {
        const p = byKey.get(key);
        // a page holding an older configuration may name a purpose archived since: the rest still counts
        if (!p || p.category === 'necessary') continue;
        // GPC is an opt-out of sale and sharing that no click in the banner overrides
        const denied = body.gpc && (p.sale || p.sharing);
        decisions.push({
          target: { type: 'purpose', key },
          state: granted && !denied ? 'granted' : 'denied',
        });
      }
      if (!decisions.length) {
        throw unprocessable([
          { pointer: '/decisions', detail: 'no live consent-based purpose of this workspace to record' },
        ]);
      }
      const claims = await tokenClaims(cp, body.subjectToken);
      const actor = actorFor(cp, ctx.requestId);
      // browser keys live in their own namespace: they cannot collide with an API client's
      const scope = {
        workspaceId: cp.workspaceId,
        key: ctx.idempotencyKey && `${BROWSER_KEY_PREFIX}${cp.publishableKey}:${ctx.idempotencyKey}`,
        route: `collect:${cp.publishableKey}`,
        body,
      };
      return idempotent(
        deps.db,
        scope,
        async (trx) => {
          let subject: { id: string } | { identifiers: Identifier[] };
          if (claims) {
            const id = await survivorOf(trx, cp.workspaceId, claims.subjectId);
            await linkVisitor(trx, actor, id, body.anonymousId);
            subject = { id: await survivorOf(trx, cp.workspaceId, id) };
          } else subject = { identifiers: [anonymous(body.anonymousId)] };
          const { records } = await consents.record(trx, actor, {
            subject,
            decisions,
            source: 'banner',
            scope: { property: cp.property.key },
            occurredAt: occurredAt(body.decidedAt),
            evidence: {
              noticeVersionId: version.id,
              noticeContentHash: version.contentHash,
              language: body.language,
              uiVariant: cp.settings.variant,
              interaction: body.interaction,
              gpc: body.gpc,
              ipAddress: ctx.ip,
              ...(ctx.userAgent ? { userAgent: ctx.userAgent.slice(0, 1000) } : {}),
            },
          });
          return { status: 201, body: { recorded: records.length, identified: claims !== null } };
        },
        // kept longer than the banner keeps a queued choice: a choice whose answer never reached
        // the page, sent again from the queue on a visit months later, is still recorded once
        BROWSER_KEY_TTL_MS,
      );
    },

    /**
     * Links the visitor to the person a subject token names and answers that person's choices in
     * this property's consent group (or this property alone), newest per purpose.
     */
    async identify(
      cp: CollectProperty,
      token: string,
      anonymousId: string,
      requestId: string,
    ): Promise<CollectIdentifyResult> {
      const claims = await verifySubjectToken(deps.signer, token, {
        audience: 'banner',
        workspaceId: cp.workspaceId,
      });
      const actor = actorFor(cp, requestId);
      const subjectId = await deps.db.write(async (trx) => {
        const id = await survivorOf(trx, cp.workspaceId, claims.subjectId);
        await linkVisitor(trx, actor, id, anonymousId);
        await audit(trx, auditEntry(actor, 'consent.read', 'subject', id));
        return id;
      });
      const group = cp.property.consentGroup;
      const properties = group
        ? (await createCatalogStore(db).list(cp.workspaceId, 'property', {}))
            .filter((p) => p.consentGroup === group)
            .map((p) => p.key)
        : [cp.property.key];
      const banner = await bannerNoticeOf(db, cp);
      const now = new Date().toISOString();
      // choices on the group's sites, and refusals or grants made for the brand or the workspace
      const rows = await db
        .selectFrom('consent_state')
        .select([
          'record_id',
          'target_type',
          'target_key',
          'channel',
          'scope_type',
          'scope_key',
          'state',
          'occurred_at',
          'expires_at',
          'source',
        ])
        .where('workspace_id', '=', cp.workspaceId)
        .where('subject_id', '=', subjectId)
        .where('target_type', '=', 'purpose')
        .where((eb) =>
          eb.or([
            eb.and([eb('scope_type', '=', 'property'), eb('scope_key', 'in', properties)]),
            eb.and([eb('scope_type', '=', 'brand'), eb('scope_key', '=', cp.property.brandKey)]),
            eb('scope_type', '=', 'workspace'),
          ]),
        )
        .execute();
      // a choice made on any site of the consent group counts as made on this one
      const records = rows.map((r) => ({
        ...toRecord(r),
        scopeKey: r.scope_type === 'property' ? cp.property.key : r.scope_key,
      }));
      // a choice older than the property keeps one is asked again, as the banner itself does, and
      // so is one made before the newest material notice version
      const keptSince = new Date(Date.now() - cp.settings.choiceDays * 86_400_000).toISOString();
      const stale = (at: string) => at < keptSince || (!!banner?.materialSince && at < banner.materialSince);
      // each purpose the banner asks about, as /v1/check answers it for this property (a broader
      // grant never overrides a narrower refusal), then left out when the record that decides it is stale
      const scope = { property: cp.property.key, brand: cp.property.brandKey ?? undefined };
      const asked = (await createCatalogStore(db).list(cp.workspaceId, 'purpose', {})).filter(
        (p) => !p.archivedAt && p.category !== 'necessary',
      );
      const decisions: Record<string, boolean> = {};
      const madeAt: string[] = [];
      for (const { key: purpose } of asked) {
        const d = decide({ kind: 'processing', purpose, legalBasis: 'consent', scope }, records, now);
        if (!d.record || d.reason === 'expired' || stale(d.record.occurredAt)) continue;
        decisions[purpose] = d.allowed;
        madeAt.push(d.record.occurredAt);
      }
      // the oldest decision in force: the browser keeps the whole choice until that one lapses
      const decidedAt = madeAt.sort()[0] ?? null;
      return { decisions, decidedAt };
    },

    /** Counts one banner beacon for the property, its variant and the day (UTC). */
    async countEvent(cp: CollectProperty, event: CollectEventBody): Promise<void> {
      const row = {
        workspace_id: cp.workspaceId,
        property_id: cp.property.id,
        day: new Date().toISOString().slice(0, 10),
        // only the configured variant is counted: a page cannot grow the table with made-up names
        variant: cp.settings.variant,
        type: event.type,
        count: 1,
      };
      await deps.db.write((trx) =>
        trx
          .insertInto('banner_events')
          .values(row)
          .onConflict((oc) =>
            oc
              .columns(['workspace_id', 'property_id', 'day', 'variant', 'type'])
              .doUpdateSet((eb) => ({ count: eb('banner_events.count', '+', 1) })),
          )
          .execute(),
      );
    },
  };
}
