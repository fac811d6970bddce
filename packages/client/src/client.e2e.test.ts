import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServerProcess } from '../../server/test/support/server-process.ts';
import { freshDatabaseUrl, testDatabases } from '../../server/test/support/test-database.ts';
import {
  AssentApiError,
  type AssentClient,
  createAssentClient,
  type InvalidAudienceLine,
  InvalidReceiptError,
  paginate,
  verifyReceipt,
} from './index.ts';

const KEY = 'assent_sk_client_e2e_bootstrap_key_0123456789';
const ana = { type: 'email' as const, value: 'Ana@Example.com' };
const newsletter = { channel: 'email' as const, topic: 'newsletter', brand: 'acme' };

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe.each(testDatabases())('the client against a real server on %s', (kind) => {
  let server: ServerProcess;
  let client: AssentClient;
  let anaId: string;

  beforeAll(async () => {
    const where = await freshDatabaseUrl(kind);
    server = await startServerProcess({
      DATA_DIR: where.dataDir,
      ASSENT_BOOTSTRAP_KEY: KEY,
      ...(where.databaseUrl ? { DATABASE_URL: where.databaseUrl } : {}),
    });
    client = createAssentClient({ baseUrl: server.url, apiKey: KEY });
  });
  afterAll(async () => {
    if (!server) return;
    server.child.kill('SIGTERM');
    // a connection left half-open by an abandoned audience upload can hold the drain (see README)
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
    await server.exited;
    clearTimeout(timer);
  });

  it('creates, lists, updates and archives catalog objects', async () => {
    const brand = await client.brands.create({
      key: 'acme',
      name: 'Acme',
      contact: { email: 'dpo@acme.test' },
    });
    expect(brand).toMatchObject({ key: 'acme', contact: { email: 'dpo@acme.test' }, archivedAt: null });
    const web = await client.properties.create({
      key: 'acme-web',
      name: 'Site',
      brandKey: 'acme',
      type: 'web',
    });
    expect(web).toMatchObject({ domains: [], secretsSet: [] });
    const analytics = await client.purposes.create({
      key: 'analytics',
      name: 'Analytics',
      category: 'analytics',
    });
    expect(analytics.legalBasis).toBe('consent');
    await client.vendors.create({ key: 'metrics-co', name: 'Metrics Co', purposes: ['analytics'] });
    await client.topics.create({ key: 'newsletter', name: 'Newsletter', channels: ['email', 'sms'] });
    const notice = await client.notices.create({ key: 'banner', name: 'Banner', kind: 'banner' });
    const v1 = await client.notices.createVersion(notice.id, { language: 'en', content: 'We use cookies.' });
    expect(v1).toMatchObject({ noticeId: notice.id, version: 1, language: 'en', material: false });
    expect((await client.notices.get(notice.id)).latestVersions.en.id).toBe(v1.id);
    expect((await client.notices.getVersion(notice.id, v1.id)).content).toBe('We use cookies.');

    const renamed = await client.brands.update(brand.id, { name: 'Acme Inc.' });
    expect(renamed).toMatchObject({ name: 'Acme Inc.', key: 'acme' });
    const old = await client.brands.create({ key: 'old-brand', name: 'Old' });
    expect((await client.brands.archive(old.id)).archivedAt).not.toBeNull();
    expect((await client.brands.get(old.id)).key).toBe('old-brand');
    expect((await client.brands.list()).items.map((b) => b.key)).toEqual(['acme']);
    const all = await client.brands.list({ includeArchived: true });
    expect(all.items.map((b) => b.key)).toEqual(['acme', 'old-brand']);
  });

  it('upserts, finds, links and merges subjects', async () => {
    const first = await client.subjects.upsert({ identifiers: [ana], attributes: { firstName: 'Ana' } });
    expect(first.created).toBe(true);
    expect(first.subject.identifiers).toContainEqual({ type: 'email', value: 'ana@example.com' });
    anaId = first.subject.id;
    const again = await client.subjects.upsert({
      identifiers: [{ type: 'email', value: 'ana@example.com' }],
    });
    expect(again).toMatchObject({ created: false, subject: { id: anaId } });
    expect((await client.subjects.find('email:ana@example.com'))?.id).toBe(anaId);
    expect((await client.subjects.find({ type: 'email', value: 'nobody@example.com' })) ?? null).toBeNull();

    const linked = await client.subjects.linkIdentifier(anaId, { type: 'phone', value: '+33 6 12 34 56 78' });
    expect(linked.identifiers).toContainEqual({ type: 'phone', value: '+33612345678' });
    const other = await client.subjects.upsert({ identifiers: [{ type: 'customer_id', value: 'c-42' }] });
    const merged = await client.subjects.merge(anaId, other.subject.id);
    expect(merged.identifiers).toContainEqual({ type: 'customer_id', value: 'c-42' });
    expect((await client.subjects.get(other.subject.id)).mergedInto).toBe(anaId);

    const token = await client.subjectTokens.create({ subject: { id: anaId }, audience: 'preferences' });
    expect(token.subjectId).toBe(anaId);
    expect(token.token.split('.')).toHaveLength(3);
  });

  it('records consents; a retried record returns the same records and creates nothing', async () => {
    const input = {
      subject: { identifiers: [ana] },
      decisions: [
        {
          target: { type: 'topic' as const, key: 'newsletter' },
          channel: 'email' as const,
          state: 'granted' as const,
        },
      ],
      scope: { brand: 'acme' },
      source: 'form' as const,
      evidence: { ipAddress: '203.0.113.9', language: 'en' },
    };
    const a = await client.consents.record(input, { idempotencyKey: 'signup-ana-1' });
    const b = await client.consents.record(input, { idempotencyKey: 'signup-ana-1' });
    expect(a.subjectId).toBe(anaId);
    expect(b.records.map((r) => r.id)).toEqual(a.records.map((r) => r.id));
    expect(a.records[0]).toMatchObject({
      state: 'granted',
      channel: 'email',
      evidence: { ipAddress: '203.0.113.0' },
    });
    await expect(
      client.consents.record({ ...input, source: 'api' }, { idempotencyKey: 'signup-ana-1' }),
    ).rejects.toMatchObject({ status: 409, code: 'idempotency_conflict' });

    // the answer of the first attempt is lost: the retry, under the generated key, creates nothing
    let lost = 0;
    const flaky = createAssentClient({
      baseUrl: server.url,
      apiKey: KEY,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        if (String(url).endsWith('/v1/consents') && lost++ === 0) throw new TypeError('fetch failed');
        return res;
      },
    });
    const before = (await client.consents.history(anaId, { limit: 500 })).items.length;
    const withdrawn = { ...input, decisions: [{ ...input.decisions[0], state: 'withdrawn' as const }] };
    const c = await flaky.consents.record(withdrawn);
    expect(lost).toBe(2);
    const after = await client.consents.history(anaId, { limit: 500 });
    expect(after.items.length).toBe(before + 1);
    expect(after.items[0].id).toBe(c.records[0].id);

    // without a key: two records
    const d = await client.consents.record({ ...input, occurredAt: new Date().toISOString() });
    expect(d.records[0].id).not.toBe(c.records[0].id);
    expect(d.records[0].prevHash).toBe(c.records[0].hash);

    const state = await client.consents.state(anaId);
    expect(state.items).toContainEqual(
      expect.objectContaining({ target: { type: 'topic', key: 'newsletter' }, state: 'granted' }),
    );
    expect((await client.consents.get(d.records[0].id)).hash).toBe(d.records[0].hash);
    expect(await client.ledger.verify()).toMatchObject({ ok: true, firstProblem: null });
  });

  it('checks one question and batches, in order', async () => {
    const yes = await client.check({ subject: { identifier: ana }, ...newsletter });
    expect(yes).toMatchObject({ allowed: true, reason: 'granted', record: { state: 'granted' } });
    expect(yes.explanation).not.toBe('');
    const unknown = await client.check({
      subject: { identifier: { type: 'email', value: 'x@example.com' } },
      ...newsletter,
    });
    expect(unknown).toMatchObject({ allowed: false, reason: 'no_consent', record: null });
    const processing = await client.check({
      subject: { id: anaId },
      purpose: 'analytics',
      vendor: 'metrics-co',
    });
    expect(processing.reason).toBe('no_consent');

    const questions = Array.from({ length: 1500 }, (_, i) => ({
      subject: { identifier: i % 2 ? ana : { type: 'email' as const, value: `n${i}@example.com` } },
      ...newsletter,
    }));
    const answers = await client.checkBatch(questions);
    expect(answers).toHaveLength(1500);
    expect(answers.slice(0, 4).map((a) => a.reason)).toEqual([
      'no_consent',
      'granted',
      'no_consent',
      'granted',
    ]);
    expect(answers[1499].allowed).toBe(true);
  });

  it('filters an audience of thousands, streamed both ways', async () => {
    const emails = Array.from({ length: 3000 }, (_, i) => `user${i}@example.com`);
    const granted = emails.filter((_, i) => i % 10 === 0);
    for (let i = 0; i < granted.length; i += 20) {
      await Promise.all(
        granted.slice(i, i + 20).map((value) =>
          client.consents.record({
            subject: { identifiers: [{ type: 'email', value }] },
            decisions: [{ target: { type: 'channel', key: 'email' }, state: 'granted' }],
            source: 'import',
          }),
        ),
      );
    }
    const input = [...emails.slice(0, 5), 'not an email', ...emails.slice(5)];
    async function* source() {
      yield* input;
    }
    const allowed = await collect(
      client.audiences.filter(source(), { channel: 'email', topic: 'newsletter' }),
    );
    expect(allowed.map((r) => r.identifier)).toEqual(granted);
    expect(allowed.every((r) => r.allowed && r.reason === 'granted')).toBe(true);

    for (const format of ['ndjson', 'csv'] as const) {
      const invalid: InvalidAudienceLine[] = [];
      const every = await collect(
        client.audiences.filter(input, {
          channel: 'email',
          includeDenied: true,
          format,
          onInvalid: (l) => invalid.push(l),
        }),
      );
      expect(every).toHaveLength(3000);
      expect(every[1]).toEqual({ identifier: emails[1], allowed: false, reason: 'no_consent' });
      expect(every.filter((r) => r.allowed).map((r) => r.identifier)).toEqual(granted);
      expect(invalid).toMatchObject([{ line: 6, identifier: 'not an email' }]);
    }

    // a consumer that stops early releases both streams
    function* endless() {
      for (let i = 0; ; i++) yield `user${i % 3000}@example.com`;
    }
    const firsts: string[] = [];
    for await (const r of client.audiences.filter(endless(), { channel: 'email' })) {
      firsts.push(r.identifier);
      if (firsts.length === 3) break;
    }
    expect(firsts).toEqual(granted.slice(0, 3));

    await expect(
      collect(client.audiences.filter(endless(), { channel: 'email', topic: 'no-such-topic' })),
    ).rejects.toMatchObject({ status: 422 });
  });

  it('verifies a receipt against the published keys, with WebCrypto', async () => {
    const { records } = await client.consents.record({
      subject: { id: anaId },
      decisions: [{ target: { type: 'purpose', key: 'analytics' }, state: 'granted' }],
      scope: { brand: 'acme' },
      source: 'banner',
    });
    const jws = await client.consents.receipt(records[0].id);
    const jwks = await client.jwks();
    const receipt = await verifyReceipt(jws, jwks);
    expect(receipt).toMatchObject({
      consentReceiptID: records[0].id,
      piiPrincipalId: anaId,
      state: 'granted',
      record: { hash: records[0].hash },
    });
    const [h, p, s] = jws.split('.');
    const forged = `${h}.${p.slice(0, -2)}${p.endsWith('A') ? 'B' : 'A'}${p.slice(-1)}.${s}`;
    await expect(verifyReceipt(forged, jwks)).rejects.toBeInstanceOf(InvalidReceiptError);
    const token = (await client.subjectTokens.create({ subject: { id: anaId }, audience: 'banner' })).token;
    await expect(verifyReceipt(token, jwks)).rejects.toThrow(/not a consent receipt/);
  });

  it('manages suppressions, which the check obeys', async () => {
    const phone = { type: 'phone' as const, value: '+33 6 12 34 56 78' };
    const added = await client.suppressions.add({ identifier: phone, channel: 'sms', reason: 'sms_stop' });
    expect(added.created).toBe(true);
    const again = await client.suppressions.add({ identifier: phone, channel: 'sms', reason: 'sms_stop' });
    expect(again).toMatchObject({ created: false, suppression: { id: added.suppression.id } });
    expect(await client.suppressions.lookup('phone:+33612345678', { channel: 'sms' })).toMatchObject({
      suppressed: true,
      items: [{ id: added.suppression.id }],
    });
    expect((await client.suppressions.list({ channel: 'sms' })).items.map((s) => s.id)).toEqual([
      added.suppression.id,
    ]);
    const check = await client.check({ subject: { identifier: phone }, channel: 'sms' });
    expect(check).toMatchObject({ allowed: false, reason: 'suppressed' });
    expect((await client.suppressions.remove(added.suppression.id)).id).toBe(added.suppression.id);
    expect((await client.suppressions.lookup(phone)).suppressed).toBe(false);
  });

  it('throws problems: 422 on a bad phone, 400 with field errors, 404 across workspaces', async () => {
    const bad = await client.subjects
      .upsert({ identifiers: [{ type: 'phone', value: 'call me maybe' }] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(AssentApiError);
    expect(bad).toMatchObject({
      status: 422,
      code: 'invalid_identifier',
      type: '/problems/invalid-identifier',
    });
    expect((bad as AssentApiError).requestId).toMatch(/.{8,}/);

    const invalid = await client.consents
      .record({
        subject: { id: anaId },
        decisions: [{ target: { type: 'topic', key: 'newsletter' }, state: 'maybe' as 'granted' }],
        source: 'api',
      })
      .then(
        () => null,
        (e: AssentApiError) => e,
      );
    expect(invalid).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(invalid?.errors[0].pointer).toBe('/decisions/0/state');

    const ws = await client.workspaces.create({ key: 'other', name: 'Other' });
    const { secret } = await client.workspaces.createApiKey(ws.id, { name: 'admin', role: 'admin' });
    const other = createAssentClient({ baseUrl: server.url, apiKey: secret });
    const [record] = (await client.consents.history(anaId, { limit: 1 })).items;
    const brand = (await client.brands.list()).items[0];
    for (const call of [
      () => other.subjects.get(anaId),
      () => other.consents.get(record.id),
      () => other.consents.receipt(record.id),
      () => other.brands.get(brand.id),
    ]) {
      await expect(call()).rejects.toMatchObject({ status: 404, type: '/problems/not-found' });
    }
    expect(await other.subjects.find(ana)).toBeNull();
    await expect(
      createAssentClient({ baseUrl: server.url, apiKey: 'assent_sk_wrong' }).brands.list(),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('pages through lists with paginate', async () => {
    for (const key of ['p1', 'p2', 'p3', 'p4', 'p5'])
      await client.topics.create({ key, name: key, channels: ['email'] });
    const pages: number[] = [];
    const keys: string[] = [];
    for await (const t of paginate(
      async (page) => {
        const p = await client.topics.list(page);
        pages.push(p.items.length);
        return p;
      },
      { limit: 2 },
    ))
      keys.push(t.key);
    expect(keys).toEqual(['newsletter', 'p1', 'p2', 'p3', 'p4', 'p5']);
    expect(pages).toEqual([2, 2, 2]);
    const history = await collect(paginate((page) => client.consents.history(anaId, page), { limit: 2 }));
    const all = (await client.consents.history(anaId, { limit: 500 })).items;
    expect(history.map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect((await collect(paginate(client.brands.list))).map((b) => b.key)).toEqual(['acme']);
  });
});
