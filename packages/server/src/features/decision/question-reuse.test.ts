import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { createDecisionService } from './decision-service.ts';
import { seedCatalog } from './test-fixtures.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDatabases())('questions asked again, on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
    await seedCatalog(s);
    const res = await s.call({
      method: 'POST',
      url: '/v1/consents',
      payload: {
        subject: { identifiers: [{ type: 'email', value: 'ana@reuse.example' }] },
        decisions: [{ target: { type: 'topic', key: 'newsletter' }, channel: 'email', state: 'granted' }],
        source: 'form',
      },
    });
    expect(res.statusCode).toBe(201);
  });
  afterAll(() => s.close());

  it('are built again from the catalog once it is read again: an edit of the topic tree shows', async () => {
    const svc = createDecisionService(s.deps.db.kysely, { catalogTtlMs: 200 });
    const weekly = {
      subject: { identifier: { type: 'email', value: 'ana@reuse.example' } },
      channel: 'email',
      topic: 'weekly',
    };
    // weekly is under newsletter, which ana granted; asked twice, the second from the same snapshot
    for (let i = 0; i < 2; i++) {
      const [answer] = await svc.checkBatch(s.workspaceId, [weekly, weekly]);
      expect(answer).toMatchObject({ allowed: true, reason: 'granted' });
    }
    const topic = (await s.call({ method: 'GET', url: '/v1/topics?limit=500' }))
      .json()
      .items.find((t: { key: string }) => t.key === 'weekly');
    const moved = await s.call({
      method: 'PATCH',
      url: `/v1/topics/${topic.id}`,
      payload: { parentKey: null },
    });
    expect(moved.statusCode).toBe(200);
    await sleep(250);
    const [after] = await svc.checkBatch(s.workspaceId, [weekly]);
    expect(after).toMatchObject({ allowed: false, reason: 'no_consent' });
  });
});
