import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { responseHead as head, rawConnection, until } from '../../../test/support/raw-http.ts';
import { testDatabases } from '../../../test/support/test-database.ts';
import { OWNER_KEY, startTestServer, type TestServer } from '../../../test/support/test-server.ts';
import { seedCatalog } from './test-fixtures.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One audience filter on its own TCP connection, its body sent chunk by chunk as the test says. */
class RawFilter {
  readonly socket: Socket;
  readonly ended: Promise<string>;
  readonly #seen: { text: string };

  constructor(port: number) {
    const c = rawConnection(
      port,
      'POST /v1/audiences/filter?channel=email&topic=newsletter&include=denied HTTP/1.1\r\n' +
        `host: 127.0.0.1\r\nauthorization: Bearer ${OWNER_KEY}\r\n` +
        'content-type: application/x-ndjson\r\ntransfer-encoding: chunked\r\n\r\n',
    );
    this.socket = c.socket;
    this.ended = c.ended;
    this.#seen = c.seen;
  }

  /** Everything the server has sent so far. */
  get text() {
    return this.#seen.text;
  }

  send(text: string) {
    this.socket.write(`${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`);
  }

  end() {
    this.socket.write('0\r\n\r\n');
  }
}

describe.each(testDatabases())('audience filters on real connections, on %s', (kind) => {
  let s: TestServer;
  let port: number;
  beforeAll(async () => {
    s = await startTestServer(kind, { AUDIENCE_FILTERS: '1', AUDIENCE_IDLE_SECONDS: '1' });
    await seedCatalog(s);
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    port = (s.app.server.address() as AddressInfo).port;
  });
  afterAll(() => s.close());

  const quick = () =>
    s.call({
      method: 'POST',
      url: '/v1/audiences/filter?channel=email&topic=newsletter',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: '{"email":"a@example.com"}\n',
    });

  /** Waits until a filter gets a place again, for at most `ms`. */
  async function placeFreedWithin(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if ((await quick()).statusCode === 200) return true;
      await sleep(100);
    }
    return false;
  }

  it('cuts a stalled upload with a 408 that closes its connection; a 429 mid-upload keeps it', async () => {
    const stalled = new RawFilter(port);
    stalled.send('{"email":"a@example.com"}\n');
    await sleep(300);

    // refused before its body was read: answered at once, while it is still sending
    const refused = new RawFilter(port);
    refused.send('{"email":"b@example.com"}\n');
    while (!refused.text.includes('\r\n\r\n')) await sleep(20);
    const second = head(refused.text);
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('10');
    expect(second.headers.connection).not.toBe('close');
    // the rest of its body is drained, and the connection serves the next request
    refused.send('{"email":"c@example.com"}\n');
    refused.end();
    refused.socket.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    while (!/HTTP\/1\.1 200/.test(refused.text)) await sleep(20);
    refused.socket.destroy();

    const first = head(await stalled.ended);
    expect(first.status).toBe(408);
    expect(first.headers['content-type']).toContain('application/problem+json');
    expect(first.headers.connection).toBe('close');
    expect(await placeFreedWithin(1000)).toBe(true);
  });

  it('frees the place of a client gone as soon as it has sent its first line', async () => {
    const gone = new RawFilter(port);
    gone.send('{"email":"a@example.com"}\n');
    gone.socket.destroy();
    // before the idle limit (1 s) could free it by another way
    expect(await placeFreedWithin(800)).toBe(true);
  });

  it('frees the place of a client gone mid-upload', async () => {
    const gone = new RawFilter(port);
    gone.send('{"email":"a@example.com"}\n');
    await sleep(300);
    expect((await quick()).statusCode).toBe(429);
    gone.socket.destroy();
    expect(await placeFreedWithin(800)).toBe(true);
  });

  it('closes the connection of a client that sent its audience and stopped reading the answer', async () => {
    const reader = new RawFilter(port);
    reader.socket.pause();
    const lines: string[] = [];
    for (let i = 0; i < 150_000; i++) lines.push(`{"email":"someone-${i}@example.com"}\n`);
    reader.send(lines.join(''));
    reader.end();
    await sleep(500);
    expect((await quick()).statusCode).toBe(429);
    // its answer (13 MB) is stuck in the socket's buffers: nothing moves for 1 + 2 s, then it is cut
    expect(await placeFreedWithin(10_000)).toBe(true);
    reader.socket.destroy();
  }, 20_000);

  it('asks for the body with 100 Continue only once the filter has its place', async () => {
    const line = '{"email":"a@example.com"}\n';
    const expectHead = (path: string, type: string, length: number) =>
      `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${OWNER_KEY}\r\n` +
      `content-type: ${type}\r\ncontent-length: ${length}\r\nexpect: 100-continue\r\n\r\n`;
    const filterPath = '/v1/audiences/filter?channel=email&topic=newsletter&include=denied';

    const accepted = rawConnection(port, expectHead(filterPath, 'application/x-ndjson', line.length));
    await until(() => accepted.seen.text.includes('\r\n\r\n'));
    expect(accepted.seen.text.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);
    accepted.socket.write(line);
    await until(() => accepted.seen.text.includes('a@example.com'));
    expect(accepted.seen.text).toContain('HTTP/1.1 200 OK');
    accepted.socket.destroy();

    // the only place is taken: the next one is refused without uploading anything, and its connection closed
    const stalled = new RawFilter(port);
    stalled.send(line);
    await sleep(200);
    const refused = rawConnection(port, expectHead(filterPath, 'application/x-ndjson', 50_000_000));
    const answer = await refused.ended;
    expect(answer).not.toContain('100 Continue');
    expect(head(answer).status).toBe(429);
    expect(head(answer).headers.connection).toBe('close');
    stalled.socket.destroy();

    // a path spelt with escapes is the same route
    const escaped = rawConnection(
      port,
      `POST /v1/audiences/%66ilter?channel=email HTTP/1.1\r\nhost: 127.0.0.1\r\n` +
        'content-type: text/csv\r\ncontent-length: 100\r\nexpect: 100-continue\r\n\r\n',
    );
    const unauthorized = await escaped.ended;
    expect(unauthorized).not.toContain('100 Continue');
    expect(head(unauthorized).status).toBe(401);

    // a body of a type the route does not stream is read by Fastify's parser first: it must be asked for at once
    const json = rawConnection(port, expectHead(filterPath, 'application/json', 2));
    await until(() => json.seen.text.includes('\r\n\r\n'));
    expect(json.seen.text.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);
    json.socket.write('{}');
    await until(() => /HTTP\/1\.1 415/.test(json.seen.text));
    json.socket.destroy();

    // other routes still get their 100 Continue at once
    const check = JSON.stringify({
      subject: { identifier: { type: 'email', value: 'a@example.com' } },
      channel: 'email',
    });
    const other = rawConnection(port, expectHead('/v1/check', 'application/json', check.length));
    await until(() => other.seen.text.includes('\r\n\r\n'));
    expect(other.seen.text.startsWith('HTTP/1.1 100 Continue\r\n')).toBe(true);
    other.socket.write(check);
    await until(() => other.seen.text.includes('"allowed"'));
    other.socket.destroy();
    expect(await placeFreedWithin(1000)).toBe(true);
  });

  it('drains a refused body only up to its limit: a larger one closes the connection', async () => {
    const stalled = new RawFilter(port);
    stalled.send('{"email":"a@example.com"}\n');
    await sleep(200);
    // declared past the limit: told at once that the connection will close
    const declared = rawConnection(
      port,
      'POST /v1/audiences/filter?channel=email&topic=newsletter HTTP/1.1\r\nhost: 127.0.0.1\r\n' +
        `authorization: Bearer ${OWNER_KEY}\r\ncontent-type: text/csv\r\ncontent-length: 50000000\r\n\r\n`,
    );
    await until(() => declared.seen.text.includes('\r\n\r\n'));
    expect(head(declared.seen.text).status).toBe(429);
    expect(head(declared.seen.text).headers.connection).toBe('close');
    declared.socket.destroy();
    // of unknown length: drained while it stays under the limit, then cut
    const endless = new RawFilter(port);
    const chunk = `${'{"email":"someone@example.com"}\n'.repeat(2000)}`;
    await until(() => endless.text.includes('\r\n\r\n'));
    expect(head(endless.text).status).toBe(429);
    let sent = 0;
    while (!endless.socket.destroyed && sent < 64 * 1024 * 1024) {
      endless.send(chunk);
      sent += chunk.length;
      if (endless.socket.writableNeedDrain) await new Promise((r) => setTimeout(r, 5));
    }
    await endless.ended;
    expect(sent).toBeGreaterThan(4 * 1024 * 1024);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
    stalled.socket.destroy();
    expect(await placeFreedWithin(1000)).toBe(true);
  }, 20_000);
});

describe.each(testDatabases())('an audience upload past its limit, on a real connection, on %s', (kind) => {
  let s: TestServer;
  let port: number;
  beforeAll(async () => {
    s = await startTestServer(kind, { AUDIENCE_MAX_BYTES: '2048' });
    await seedCatalog(s);
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    port = (s.app.server.address() as AddressInfo).port;
  });
  afterAll(() => s.close());

  it('is answered 413 and its connection closed: a body cut while being read cannot be drained', async () => {
    const big = new RawFilter(port);
    for (let i = 0; i < 100; i++) big.send(`{"email":"someone-${i}@example.com"}\n`);
    // the client is still sending: the server does not wait for the rest
    const answer = head(await big.ended);
    expect(answer.status).toBe(413);
    expect(answer.headers['content-type']).toContain('application/problem+json');
    expect(answer.headers.connection).toBe('close');
  });

  it('is answered 413 at once when its declared length is past the limit, before any of it is sent', async () => {
    const declared = rawConnection(
      port,
      'POST /v1/audiences/filter?channel=email&topic=newsletter HTTP/1.1\r\nhost: 127.0.0.1\r\n' +
        `authorization: Bearer ${OWNER_KEY}\r\ncontent-type: text/csv\r\ncontent-length: 4096\r\n\r\n`,
    );
    await until(() => declared.seen.text.includes('\r\n\r\n'));
    expect(head(declared.seen.text).status).toBe(413);
    expect(declared.seen.text).toContain('at most 2048 bytes');
    declared.socket.destroy();
  });
});
