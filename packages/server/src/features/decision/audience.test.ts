import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { seedCatalog } from './test-fixtures.ts';

describe.each(testDatabases())('the audience filter on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
    await seedCatalog(s);
    const record = (email: string, state: string, extra: object = {}) =>
      s.call({
        method: 'POST',
        url: '/v1/consents',
        payload: {
          subject: { identifiers: [{ type: 'email', value: email }] },
          decisions: [{ target: { type: 'topic', key: 'newsletter' }, channel: 'email', state }],
          source: 'import',
          ...extra,
        },
      });
    await record('yes@example.com', 'granted');
    await record('no@example.com', 'withdrawn');
    await record('bounced@example.com', 'granted');
    await record('acme@example.com', 'granted', { scope: { brand: 'acme' } });
    await s.call({
      method: 'POST',
      url: '/v1/suppressions',
      payload: {
        identifier: { type: 'email', value: 'bounced@example.com' },
        channel: 'email',
        reason: 'hard_bounce',
      },
    });
  });
  afterAll(() => s.close());

  const filter = (query: string, contentType: string, payload: string) =>
    s.call({
      method: 'POST',
      url: `/v1/audiences/filter?${query}`,
      headers: { 'content-type': contentType },
      payload,
    });

  const csvBody = [
    'email',
    'Yes@Example.com',
    'no@example.com',
    'not-an-email',
    '',
    'nobody@example.com',
    '"bounced@example.com"',
    'acme@example.com',
  ].join('\r\n');

  it('answers the allowed identifiers of a CSV list, as CSV, counting what it skipped', async () => {
    const res = await filter('channel=email&topic=newsletter', 'text/csv', csvBody);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.body).toBe('identifier\nYes@Example.com\n');
    expect(res.trailers).toMatchObject({
      'x-assent-lines': '6',
      'x-assent-allowed': '1',
      'x-assent-denied': '4',
      'x-assent-invalid': '1',
    });
    const brand = await filter(
      'channel=email&topic=newsletter&brand=acme',
      'text/csv; charset=utf-8',
      csvBody,
    );
    expect(brand.body).toBe('identifier\nYes@Example.com\nacme@example.com\n');
  });

  it('adds the refused ones with their reason on include=denied', async () => {
    const res = await filter('channel=email&topic=newsletter&include=denied', 'text/csv', csvBody);
    expect(res.body.split('\n')).toEqual([
      'identifier,allowed,reason',
      'Yes@Example.com,true,granted',
      'no@example.com,false,withdrawn',
      'nobody@example.com,false,no_consent',
      'bounced@example.com,false,suppressed',
      'acme@example.com,false,no_consent',
      '',
    ]);
  });

  it('reads and writes NDJSON, reporting malformed lines without stopping', async () => {
    const body = [
      '{"type":"email","value":"yes@example.com"}',
      '{"email":"no@example.com"}',
      'not json',
      '{"type":"email","value":"broken"}',
      '{"color":"blue"}',
      '{"email":"nobody@example.com"}',
    ].join('\n');
    const res = await filter('channel=email&topic=newsletter&include=denied', 'application/x-ndjson', body);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-ndjson');
    const lines = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { type: 'email', identifier: 'yes@example.com', allowed: true, reason: 'granted' },
      { type: 'email', identifier: 'no@example.com', allowed: false, reason: 'withdrawn' },
      { line: 3, error: 'Not a JSON object' },
      { line: 4, error: 'The email address is not valid' },
      { line: 5, error: expect.stringContaining('{"email":"..."}') },
      { type: 'email', identifier: 'nobody@example.com', allowed: false, reason: 'no_consent' },
    ]);
    const allowedOnly = await filter('channel=email&topic=newsletter', 'application/x-ndjson', body);
    expect(
      allowedOnly.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toHaveLength(4);
  });

  it('filters by purpose, and by other identifier types', async () => {
    const res = await filter(
      'purpose=fraud&identifierType=customer_id',
      'text/csv',
      '\uFEFFidentifier\nc-1\nc-2\n',
    );
    expect(res.body).toBe('identifier\nc-1\nc-2\n');
  });

  it('works in chunks across a long list, in order', async () => {
    const emails = Array.from({ length: 2500 }, (_, i) =>
      i === 1700 ? 'yes@example.com' : `p${i}@example.com`,
    );
    const res = await filter('channel=email&topic=newsletter&include=denied', 'text/csv', emails.join('\n'));
    const lines = res.body.trim().split('\n');
    expect(lines).toHaveLength(2501);
    expect(lines[1701]).toBe('yes@example.com,true,granted');
    expect(lines[2500]).toBe('p2499@example.com,false,no_consent');
  });

  it('refuses other content types and unknown keys before reading the list', async () => {
    const json = await s.call({
      method: 'POST',
      url: '/v1/audiences/filter?channel=email',
      payload: { email: 'a@example.com' },
    });
    expect(json.statusCode).toBe(415);
    const unknown = await filter('channel=email&topic=nope', 'text/csv', 'a@example.com');
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors[0].pointer).toBe('/topic');
    expect((await filter('', 'text/csv', 'a@example.com')).statusCode).toBe(422);
    expect((await filter('channel=email&identifierType=shoe', 'text/csv', 'a')).statusCode).toBe(422);
    expect((await filter('channel=email&color=red', 'text/csv', 'a@example.com')).statusCode).toBe(400);
    const noKey = await s.call({
      method: 'POST',
      url: '/v1/audiences/filter?channel=email',
      headers: { 'content-type': 'text/csv' },
      payload: 'a@example.com',
      key: null,
    });
    expect(noKey.statusCode).toBe(401);
  });

  it('takes a body larger than the JSON body limit', async () => {
    const big = Array.from({ length: 60_000 }, (_, i) => `someone-with-a-long-address-${i}@example.com`).join(
      '\n',
    );
    expect(big.length).toBeGreaterThan(s.deps.config.bodyLimit);
    const res = await filter('channel=email&topic=newsletter', 'text/csv', big);
    expect(res.statusCode).toBe(200);
    expect(res.trailers['x-assent-lines']).toBe('60000');
  });
});
