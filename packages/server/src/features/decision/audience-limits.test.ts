import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { seedCatalog } from './test-fixtures.ts';

describe.each(testDatabases())('audience filters running at once, on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind, { AUDIENCE_FILTERS: '1', AUDIENCE_IDLE_SECONDS: '1' });
    await seedCatalog(s);
  });
  afterAll(() => s.close());

  const filter = (payload: string | PassThrough) =>
    s.call({
      method: 'POST',
      url: '/v1/audiences/filter?channel=email&topic=newsletter&include=denied',
      headers: { 'content-type': 'application/x-ndjson' },
      payload,
    });

  it('answers 429 past AUDIENCE_FILTERS, cuts a stalled upload with a 408, and frees its place', async () => {
    const stalled = new PassThrough();
    const first = filter(stalled);
    await new Promise((r) => setTimeout(r, 200));

    const second = await filter('{"email":"a@example.com"}\n');
    expect(second.statusCode).toBe(429);
    expect(second.headers['content-type']).toContain('application/problem+json');
    expect(second.headers['retry-after']).toBe('10');
    expect(second.json().detail).toContain('At most 1 audience filters');

    // the first sends nothing more: cut after a second, before any answer, as a problem
    const cut = await first;
    expect(cut.statusCode).toBe(408);
    expect(cut.json()).toMatchObject({ code: 'request_timeout' });

    const third = await filter('{"email":"a@example.com"}\n');
    expect(third.statusCode).toBe(200);
    expect(
      third.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ type: 'email', identifier: 'a@example.com', allowed: false, reason: expect.any(String) }]);

    // each place was freed once: a new stalled filter again takes the only one
    const again = new PassThrough();
    const held = filter(again);
    await new Promise((r) => setTimeout(r, 200));
    expect((await filter('{"email":"a@example.com"}\n')).statusCode).toBe(429);
    again.end();
    expect((await held).statusCode).toBe(200);
  });

  it('frees the place of a filter whose question is refused', async () => {
    const bad = await s.call({
      method: 'POST',
      url: '/v1/audiences/filter?channel=email&topic=no-such-topic',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: '{"email":"a@example.com"}\n',
    });
    expect(bad.statusCode).toBeGreaterThanOrEqual(400);
    expect(bad.statusCode).toBeLessThan(500);
    const next = await filter('{"email":"a@example.com"}\n');
    expect(next.statusCode).toBe(200);
  });
});
