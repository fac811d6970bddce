import { Readable } from 'node:stream';
import { AssentError } from '@assent/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../../test/support/test-database.ts';
import { startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { type AudienceStats, filterAudience, linesOf } from './audience-filter.ts';
import { seedCatalog } from './test-fixtures.ts';

/** A body sent in pieces of `size` characters, as a network would deliver it. */
const inPieces = (text: string, size = 16 * 1024) =>
  Readable.from(
    Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size)),
  );

describe.each(testDatabases())('what an audience sends, on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
    await seedCatalog(s);
    for (const [value, state] of [
      ['yes@example.com', 'granted'],
      ['no@example.com', 'withdrawn'],
    ]) {
      const res = await s.call({
        method: 'POST',
        url: '/v1/consents',
        payload: {
          subject: { identifiers: [{ type: 'email', value }] },
          decisions: [{ target: { type: 'topic', key: 'newsletter' }, channel: 'email', state }],
          source: 'import',
        },
      });
      expect(res.statusCode).toBe(201);
    }
  });
  afterAll(() => s.close());

  const filter = (query: string, contentType: string, payload: string | Readable) =>
    s.call({
      method: 'POST',
      url: `/v1/audiences/filter?${query}`,
      headers: { 'content-type': contentType },
      payload,
    });

  it('reports a line over 64 KiB once, and keeps the lines after it in place', async () => {
    const body = [
      '{"email":"yes@example.com"}',
      JSON.stringify({ email: `${'z'.repeat(120_000)}@example.com` }),
      '{"email":"no@example.com"}',
      'not json',
    ].join('\n');
    const res = await filter(
      'channel=email&topic=newsletter&include=denied',
      'application/x-ndjson',
      inPieces(body),
    );
    expect(res.statusCode).toBe(200);
    expect(
      res.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { type: 'email', identifier: 'yes@example.com', allowed: true, reason: 'granted' },
      { line: 2, error: 'The line is too long' },
      { type: 'email', identifier: 'no@example.com', allowed: false, reason: 'withdrawn' },
      { line: 4, error: 'Not a JSON object' },
    ]);
    expect(res.trailers['x-assent-lines']).toBe('4');
    expect(res.trailers['x-assent-invalid']).toBe('2');
  });

  it('reads a quoted CSV field across its line breaks as one field', async () => {
    const body =
      'email,note\r\nnobody@example.com,"forwarded to\r\nyes@example.com, see thread"\r\nno@example.com\r\n';
    const res = await filter('channel=email&topic=newsletter&include=denied', 'text/csv', body);
    expect(res.body).toBe(
      'identifier,allowed,reason\nnobody@example.com,false,no_consent\nno@example.com,false,withdrawn\n',
    );
    expect(res.trailers['x-assent-lines']).toBe('2');
    // a quoted field past 64 KiB: the record is invalid, and the lines still inside its quotes are not read
    const long = `email,note\nyes@example.com,"${'x'.repeat(70_000)}\nno@example.com\nend"\nnobody@example.com\n`;
    const longRes = await filter('channel=email&topic=newsletter&include=denied', 'text/csv', inPieces(long));
    expect(longRes.body).toBe('identifier,allowed,reason\nnobody@example.com,false,no_consent\n');
    expect(longRes.trailers['x-assent-invalid']).toBe('1');
    // a stray quote inside an unquoted field is a character, not the start of a field
    const stray = 'email,size\nno@example.com,5" screen\nyes@example.com,4"\nnobody@example.com\n';
    const strayRes = await filter('channel=email&topic=newsletter&include=denied', 'text/csv', stray);
    expect(strayRes.body).toBe(
      'identifier,allowed,reason\nno@example.com,false,withdrawn\nyes@example.com,true,granted\nnobody@example.com,false,no_consent\n',
    );
  });

  it('skips a header line however the column is spelled', async () => {
    const res = await filter(
      'purpose=fraud&identifierType=customer_id',
      'text/csv',
      'Customer ID,Name\n42,Ann\n',
    );
    expect(res.body).toBe('identifier\n42\n');
    const external = await filter(
      'purpose=fraud&identifierType=external:crm',
      'text/csv',
      'CRM,Name\nc-9,Ann\n',
    );
    expect(external.body).toBe('identifier\nc-9\n');
    // a value that is no column's name is an identifier, also on the first line
    const first = await filter('purpose=fraud&identifierType=customer_id', 'text/csv', 'ID\n42\n');
    expect(first.body).toBe('identifier\nID\n42\n');
  });
});

describe('the audience stream', () => {
  const question = { kind: 'contact', channel: 'email' } as const;
  const stats = (): AudienceStats => ({ lines: 0, allowed: 0, denied: 0, invalid: 0 });

  it('sends nothing, not even the CSV header, before the first answers: an early error is still a problem', async () => {
    const out = filterAudience(
      Readable.from(['a@example.com\n']),
      {
        format: 'csv',
        question,
        includeDenied: false,
        identifierType: 'email',
        evaluate: async () => {
          throw new Error('the database is down');
        },
      },
      stats(),
    );
    await expect(out.next()).rejects.toThrow('the database is down');
  });

  it('stops past its byte limit with a 413', async () => {
    const lines = linesOf(Readable.from(['a@example.com\n', 'b@example.com\n', 'c@example.com\n']), 20);
    await expect(async () => {
      for await (const _ of lines);
    }).rejects.toThrow(AssentError);
    const again = linesOf(Readable.from(['a@example.com\n', 'b@example.com\n']), 20);
    await expect(async () => {
      for await (const _ of again);
    }).rejects.toMatchObject({ code: 'payload_too_large' });
    // bytes, not characters: six euro signs are 18 bytes
    const euros = linesOf(Readable.from(['€€€€€€\n']), 10);
    await expect(async () => {
      for await (const _ of euros);
    }).rejects.toMatchObject({ code: 'payload_too_large' });
  });
});
