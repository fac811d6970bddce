import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { chunkedBody, rawConnection, until, writeBeforeReading } from '../../test/support/raw-http.ts';
import { drainWithin } from './body-drain.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const limit = { bytes: 10_000, ms: 500, lingerMs: 1000 };

/** A server that answers 429 before reading any body, draining the rest within `limit`. */
async function refusingServer(): Promise<{ server: Server; port: number; last: { socket?: Socket } }> {
  const last: { socket?: Socket } = {};
  const server = createServer((req, res) => {
    last.socket = req.socket;
    const keep = drainWithin(req, limit);
    res.writeHead(429, keep ? {} : { connection: 'close' }).end('busy');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, last };
}

/** A chunked upload on a raw connection. */
function upload(port: number) {
  const c = rawConnection(port, 'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
  return {
    socket: c.socket,
    closed: c.ended,
    text: () => c.seen.text,
    send: (s: string) => c.socket.write(`${s.length.toString(16)}\r\n${s}\r\n`),
  };
}

describe('drainWithin', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('lets a refused body finish under the limit and the connection serve its next request', async () => {
    const s = await refusingServer();
    server = s.server;
    const u = upload(s.port);
    u.send('x'.repeat(5000));
    u.socket.write('0\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\n\r\n');
    while ((u.text().match(/HTTP\/1\.1 429/g) ?? []).length < 2) await sleep(10);
    expect(u.socket.destroyed).toBe(false);
    u.socket.destroy();
  });

  it('lingers on a close only while the body is unread, and gives the connection its usual close back after', async () => {
    const s = await refusingServer();
    server = s.server;
    const u = upload(s.port);
    u.send('x'.repeat(100));
    await until(() => u.text().includes('HTTP/1.1 429'));
    const own = (name: string) => Object.hasOwn(s.last.socket as Socket, name);
    expect(own('destroySoon')).toBe(true);
    u.socket.write('0\r\n\r\n');
    await until(() => !own('destroySoon'));
    u.socket.destroy();
  });

  it('closes the connection of a body that sends more than the limit', async () => {
    const s = await refusingServer();
    server = s.server;
    const u = upload(s.port);
    for (let i = 0; i < 20 && !u.socket.destroyed; i++) {
      u.send('x'.repeat(1000));
      await sleep(5);
    }
    await u.closed;
    expect(u.text()).toContain('HTTP/1.1 429');
  });

  it('closes the connection of a body that trickles for longer than the limit', async () => {
    const s = await refusingServer();
    server = s.server;
    const u = upload(s.port);
    const started = Date.now();
    const trickle = setInterval(() => u.send('x'), 50);
    await u.closed;
    clearInterval(trickle);
    expect(Date.now() - started).toBeGreaterThanOrEqual(limit.ms - 50);
    expect(Date.now() - started).toBeLessThan(limit.ms + 1000);
  });

  it('lingers when it closes: a client that writes a body far past the limit before reading gets its answer', async () => {
    const s = await refusingServer();
    server = s.server;
    // 16 MiB: more than the two sides' socket buffers hold, so the server must read it for the write to end
    const big = 16 * 1024 * 1024;
    for (const head of [
      'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n',
      `POST / HTTP/1.1\r\nhost: x\r\ncontent-length: ${big}\r\n\r\n`,
    ]) {
      const c = rawConnection(s.port);
      const body = head.includes('chunked') ? chunkedBody(big) : 'x'.repeat(big);
      expect(await writeBeforeReading(c.socket, head + body)).toBeNull();
      c.socket.resume();
      expect(await c.ended).toMatch(/^HTTP\/1\.1 429/);
    }
  });

  it('cuts a lingering connection whose client goes on sending past the linger', async () => {
    const s = await refusingServer();
    server = s.server;
    // a client that keeps its side open when the server ends its own, and keeps sending
    const c = rawConnection(s.port, 'POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n', {
      halfOpen: true,
    });
    const chunk = `${(1000).toString(16)}\r\n${'x'.repeat(1000)}\r\n`;
    const send = setInterval(() => c.socket.write(chunk), 20);
    const text = await c.ended;
    clearInterval(send);
    const endedAt = c.seen.endedAt as number;
    expect(endedAt).not.toBeNull();
    expect(text).toContain('HTTP/1.1 429');
    // a loose bound: a connection cut at once (no linger) closes within a few milliseconds
    expect(Date.now() - endedAt).toBeGreaterThanOrEqual(limit.lingerMs / 2);
    expect(Date.now() - endedAt).toBeLessThan(limit.lingerMs + 1000);
  });

  it('keeps nothing of a body whose declared length is past the limit: the answer closes the connection', async () => {
    const s = await refusingServer();
    server = s.server;
    const text = await rawConnection(s.port, 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 20000\r\n\r\n')
      .ended;
    expect(text).toMatch(/^HTTP\/1\.1 429/);
    expect(text.toLowerCase()).toContain('connection: close');
  });
});
