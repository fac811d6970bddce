import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkedBody, rawConnection, until, writeBeforeReading } from '../../test/support/raw-http.ts';
import { testDatabases } from '../../test/support/test-database.ts';
import { OWNER_KEY, startTestServer, type TestServer } from '../../test/support/test-server.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

describe.each(testDatabases())('answers given before the body was read, on %s', (kind) => {
  let s: TestServer;
  let port: number;
  let serverSide: Socket | undefined;
  beforeAll(async () => {
    s = await startTestServer(kind);
    await s.app.listen({ host: '127.0.0.1', port: 0 });
    port = (s.app.server.address() as AddressInfo).port;
    s.app.server.on('connection', (socket: Socket) => {
      serverSide = socket;
    });
  });
  afterAll(() => s.close());

  it('leave nothing behind on a keep-alive connection, however many there are', async () => {
    const warnings: string[] = [];
    const warned = (w: Error) => warnings.push(w.message);
    process.on('warning', warned);
    const c = rawConnection(port);
    const requests = [
      'GET /v1/topics HTTP/1.1\r\nhost: x\r\n\r\n',
      'POST /v1/topics HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}',
      'POST /v1/topics HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
    ];
    for (let i = 0; i < 30; i++) {
      c.socket.write(requests[i % requests.length] as string);
      await until(() => count(c.seen.text, /HTTP\/1\.1 401/g) === i + 1);
    }
    expect(c.seen.closed).toBe(false);
    expect(serverSide?.listenerCount('close')).toBeLessThan(5);
    c.socket.destroy();
    process.off('warning', warned);
    expect(warnings.filter((w) => w.includes('MaxListeners'))).toEqual([]);
  });

  it('reach a client that writes a long body whole before reading: its connection lingers as it closes', async () => {
    // 16 MiB, past the drain limit and more than the socket buffers hold, of unknown length
    const body = chunkedBody(16 * 1024 * 1024, ' ');
    const head = (key: string) =>
      `POST /v1/topics HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${key}\r\n` +
      'content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n';
    for (const [key, status] of [
      ['assent_sk_not-a-key', 401],
      [OWNER_KEY, 413],
    ] as const) {
      const c = rawConnection(port);
      expect(await writeBeforeReading(c.socket, head(key) + body)).toBeNull();
      c.socket.resume();
      expect(await c.ended).toMatch(new RegExp(`^HTTP/1\\.1 ${status}`));
    }
  }, 20_000);

  it('never run a request sent after a body they cut, and do not hold the server open as they linger', async () => {
    const own = await startTestServer(kind);
    let closed = false;
    try {
      await own.app.listen({ host: '127.0.0.1', port: 0 });
      const at = (own.app.server.address() as AddressInfo).port;
      const refused =
        'POST /v1/topics HTTP/1.1\r\nhost: x\r\nauthorization: Bearer assent_sk_not-a-key\r\n' +
        'content-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n';
      // clients that keep their side open when the server ends its own, and send past the drain limit
      const cutClient = async () => {
        const c = rawConnection(at, refused, { halfOpen: true });
        const chunk = `${(64 * 1024).toString(16)}\r\n${' '.repeat(64 * 1024)}\r\n`;
        for (let sent = 0; c.seen.endedAt === null && sent < 64 * 1024 * 1024; sent += 64 * 1024) {
          if (!c.socket.write(chunk)) await new Promise((r) => c.socket.once('drain', r));
        }
        await until(() => c.seen.endedAt !== null);
        expect(c.seen.text).toMatch(/^HTTP\/1\.1 401/);
        return c;
      };
      // one stays quiet in the middle of its body, lingering, until the server shuts down
      await cutClient();
      const sneaky = await cutClient();
      const topicOf = (key: string) => ({ key, name: key, channels: ['email'] });
      // the same request on a connection of its own is run
      const control = await own.call({ method: 'POST', url: '/v1/topics', payload: topicOf('control') });
      expect(control.statusCode).toBe(201);
      const topic = JSON.stringify(topicOf('sneaky'));
      const arrived = new Promise<IncomingMessage>((r) => own.app.server.once('request', r));
      sneaky.socket.write(
        `0\r\n\r\nPOST /v1/topics HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${OWNER_KEY}\r\n` +
          `content-type: application/json\r\ncontent-length: ${topic.length}\r\n\r\n${topic}`,
      );
      // it reached the server, which cut its connection rather than run it
      const req = await arrived;
      await until(() => req.socket.destroyed);
      const topics = (await own.call({ method: 'GET', url: '/v1/topics' })).json();
      expect(topics.items.map((t: { key: string }) => t.key)).not.toContain('sneaky');
      expect(sneaky.seen.text).not.toMatch(/HTTP\/1\.1 201/);
      // closing cuts the quiet one rather than waiting out its linger
      const started = Date.now();
      closed = true;
      await own.close();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      if (!closed) await own.close();
    }
  }, 30_000);

  it('close the connection of a JSON body past the body limit', async () => {
    const big = rawConnection(port);
    big.socket.write(
      `POST /v1/topics HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${OWNER_KEY}\r\n` +
        'content-type: application/json\r\ncontent-length: 2000000\r\n\r\n{',
    );
    await until(() => big.seen.closed);
    expect(big.seen.text).toMatch(/^HTTP\/1\.1 413/);
    expect(big.seen.text.toLowerCase()).toContain('connection: close');
  });

  it('drain a body sent to no route within the same limits', async () => {
    // declared past the limit: the 404 says the connection closes
    const declared = rawConnection(port);
    declared.socket.write('HEAD /nope HTTP/1.1\r\nhost: x\r\ncontent-length: 100000000\r\n\r\n');
    await until(() => declared.seen.text.includes('\r\n\r\n'));
    expect(declared.seen.text).toMatch(/^HTTP\/1\.1 404/);
    expect(declared.seen.text.toLowerCase()).toContain('connection: close');
    await until(() => declared.seen.closed);

    // of unknown length: read and thrown away up to 4 MiB, then cut
    const endless = rawConnection(port);
    endless.socket.write('GET /nope HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
    await until(() => endless.seen.text.includes('\r\n\r\n'));
    expect(endless.seen.text).toMatch(/^HTTP\/1\.1 404/);
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    while (!endless.seen.closed && sent < 64 * 1024 * 1024) {
      endless.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
      sent += chunk.length;
      if (endless.socket.writableNeedDrain) await sleep(5);
    }
    await until(() => endless.seen.closed);
    expect(sent).toBeGreaterThan(4 * 1024 * 1024);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  }, 20_000);
});
