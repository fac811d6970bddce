import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';

describe.each(testDatabases())('the audit log on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
  });
  afterAll(() => s.close());

  it('lists who wrote and who read a subject, newest first, per workspace', async () => {
    const agent = await s.keyFor('agent');
    const created = await s.call({
      method: 'POST',
      url: '/v1/consents',
      key: agent,
      headers: { 'x-request-id': 'call-center-000123' },
      payload: {
        subject: { identifiers: [{ type: 'phone', value: '+1 415 555 2671' }] },
        decisions: [{ target: { type: 'channel', key: 'sms' }, state: 'granted' }],
        source: 'call_center',
      },
    });
    const subjectId = created.json().subjectId;
    await s.call({ method: 'GET', url: `/v1/subjects/${subjectId}` });
    const log = (await s.call({ method: 'GET', url: `/v1/audit-log?targetId=${subjectId}` })).json();
    expect(log.items.map((e: { action: string }) => e.action)).toEqual([
      'subject.read',
      'consent.record',
      'subject.create',
    ]);
    expect(log.items[1].requestId).toBe('call-center-000123');
    const page = (await s.call({ method: 'GET', url: `/v1/audit-log?targetId=${subjectId}&limit=2` })).json();
    const next = (
      await s.call({
        method: 'GET',
        url: `/v1/audit-log?targetId=${subjectId}&limit=2&cursor=${page.nextCursor}`,
      })
    ).json();
    expect(next.items.map((e: { action: string }) => e.action)).toEqual(['subject.create']);
    const other = await s.newWorkspace(`audit-${kind}`);
    const foreign = (
      await s.call({ method: 'GET', url: `/v1/audit-log?targetId=${subjectId}`, key: other.adminKey })
    ).json();
    expect(foreign.items).toEqual([]);
    expect((await s.call({ method: 'GET', url: '/v1/audit-log', key: agent })).statusCode).toBe(403);
  });
});
