import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawConnection, until } from '../../test/support/raw-http.ts';
import {
  arrivedLingering,
  cutLingering,
  type LingerSet,
  lingeringClose,
  lingerSet,
} from './lingering-close.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const request = 'GET / HTTP/1.1\r\nhost: x\r\n\r\n';

/**
 * A server whose handler answers each request it runs, then closes the connection lingering;
 * with `guard`, it runs no request that arrives on a lingering connection. Counts the requests
 * Node parsed and those the handler ran.
 */
async function lingeringServer(opts: { guard: boolean; set?: LingerSet }) {
  const seen = { parsed: 0, ran: 0 };
  const server = createServer((req: IncomingMessage, res) => {
    seen.parsed++;
    if (opts.guard && arrivedLingering(req)) return;
    seen.ran++;
    res.end('ok', () => lingeringClose(req.socket, 5000, opts.set));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, port: (server.address() as AddressInfo).port };
}

describe('lingering connections', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('run no request that arrives on them, and stop reading, however many follow', async () => {
    for (const guard of [true, false]) {
      const s = await lingeringServer({ guard });
      server = s.server;
      const c = rawConnection(s.port, '', { halfOpen: true });
      c.socket.write(request);
      await until(() => c.seen.endedAt !== null);
      expect(c.seen.text).toMatch(/^HTTP\/1\.1 200/);
      // a flood of requests on the lingering connection, for half a second
      const flood = request.repeat(1000);
      const until500 = Date.now() + 500;
      while (Date.now() < until500 && !c.socket.destroyed) {
        if (!c.socket.write(flood))
          await Promise.race([new Promise((r) => c.socket.once('drain', r)), sleep(50)]);
      }
      if (guard) {
        expect(s.seen.ran).toBe(1);
        // what Node parsed before the connection stopped reading, and no more
        expect(s.seen.parsed).toBeLessThan(10_000);
        const parsed = s.seen.parsed;
        await sleep(100);
        expect(s.seen.parsed).toBe(parsed);
      } else {
        // without the guard, they run
        await until(() => s.seen.ran > 1);
      }
      c.socket.destroy();
      server.closeAllConnections();
      server.close();
    }
  });

  it('are cut when their server shuts down, and so is one that would linger after', async () => {
    const set = lingerSet();
    const s = await lingeringServer({ guard: true, set });
    server = s.server;
    const c = rawConnection(s.port, '', { halfOpen: true });
    // a body that has not ended: its request is still in progress, so the connection is not idle
    c.socket.write('POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n');
    await until(() => c.seen.endedAt !== null);
    expect(set.sockets.size).toBe(1);
    const started = Date.now();
    const closed = new Promise<void>((r) => s.server.close(() => r()));
    cutLingering(set);
    await closed;
    expect(Date.now() - started).toBeLessThan(1000);
    await until(() => set.sockets.size === 0);
    // after the cut, a connection that would linger closes at once
    const late = new Socket();
    lingeringClose(late, 5000, set);
    expect(late.destroyed).toBe(true);
  });
});
