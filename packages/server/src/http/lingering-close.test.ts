import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../test/support/raw-http.ts';
import { cutLingering, lingerAwareServer, lingeringClose } from './lingering-close.ts';

const request = 'GET / HTTP/1.1\r\nhost: x\r\n\r\n';

/** A server whose handler counts requests, answers each, and then closes the connection lingering. */
async function lingeringServer(make: (handler: RequestListener) => Server) {
  const seen = { requests: 0 };
  const server = make((req, res) => {
    seen.requests++;
    res.end('ok', () => lingeringClose(req.socket, 5000));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, port: (server.address() as AddressInfo).port };
}

/** A client that keeps its side open when the server ends its own, as a client still sending does. */
function halfOpenClient(port: number): { socket: Socket; seen: { text: string; ended: boolean } } {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  socket.on('error', () => {});
  const seen = { text: '', ended: false };
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    seen.text += d;
  });
  socket.on('end', () => {
    seen.ended = true;
  });
  return { socket, seen };
}

describe('lingerAwareServer', () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it('never runs a request that arrives on a lingering connection (a plain server would)', async () => {
    for (const [make, runs] of [
      [lingerAwareServer, 1],
      [createServer, 2],
    ] as const) {
      const s = await lingeringServer((h) => make(h));
      server = s.server;
      const c = halfOpenClient(s.port);
      c.socket.write(request);
      await until(() => c.seen.ended);
      expect(c.seen.text).toMatch(/^HTTP\/1\.1 200/);
      c.socket.write(request);
      await new Promise((r) => setTimeout(r, 200));
      expect(s.seen.requests).toBe(runs);
      c.socket.destroy();
      server.closeAllConnections();
      server.close();
    }
  });

  it('closes at once when its lingering connections are cut, instead of waiting for them', async () => {
    const s = await lingeringServer(lingerAwareServer);
    server = s.server;
    const c = halfOpenClient(s.port);
    // a body that has not ended: its request is still in progress, so the connection is not idle
    c.socket.write('POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n');
    await until(() => c.seen.ended);
    const started = Date.now();
    const closed = new Promise<void>((r) => s.server.close(() => r()));
    cutLingering(s.server);
    await closed;
    expect(Date.now() - started).toBeLessThan(1000);
    await until(() => c.socket.destroyed || c.socket.readableEnded);
  });

  it('makes the server as Fastify would, with its timeouts', () => {
    server = lingerAwareServer(() => {}, {
      keepAliveTimeout: 72_000,
      requestTimeout: 0,
      connectionTimeout: 5,
    });
    expect(server.keepAliveTimeout).toBe(72_000);
    expect(server.requestTimeout).toBe(0);
    expect(server.timeout).toBe(5);
  });
});
