import type { AddressInfo, Socket } from 'node:net';
import { connect } from 'node:net';
import { AssentError } from '@assent/core';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createAudiencePlaces } from './audience-places.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Fastify app whose one route waits for the test's word, then takes a place and answers. */
async function appWithPlaces(limit: number) {
  const places = createAudiencePlaces(limit, 1);
  const app = Fastify();
  let release = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const seen: { socket?: Socket; closed?: Promise<void>; held: number } = { held: 0 };
  app.setErrorHandler((err: Error, _req, reply) => {
    reply.code(err instanceof AssentError && err.code === 'rate_limited' ? 429 : 500).send(err.message);
  });
  app.get('/wait', async (req, reply) => {
    seen.socket = req.raw.socket;
    seen.closed = new Promise((r) => reply.raw.once('close', () => r()));
    await gate;
    places.take(req, reply);
    return 'taken';
  });
  app.get('/hold', async (req, reply) => {
    seen.socket = req.raw.socket;
    places.take(req, reply);
    seen.held++;
    await gate;
    return 'held';
  });
  app.get('/take', async (req, reply) => {
    seen.socket = req.raw.socket;
    places.take(req, reply);
    return 'taken';
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, port, seen, release };
}

let close: (() => Promise<void>) | undefined;

/** An app allowing two filters, and requests for these paths sent on one connection without waiting. */
async function pipelined(paths: string[]) {
  const t = await appWithPlaces(2);
  close = async () => {
    t.release();
    await t.app.close();
  };
  const client = connect({ host: '127.0.0.1', port: t.port });
  client.on('error', () => {});
  client.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nhost: x\r\n\r\n`).join(''));
  return { ...t, client };
}
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe('audience places', () => {
  it('frees at once the place of a client gone before its filter took it', async () => {
    const { app, port, seen, release } = await appWithPlaces(1);
    close = () => app.close();
    const client = connect({ host: '127.0.0.1', port });
    client.write('GET /wait HTTP/1.1\r\nhost: x\r\n\r\n');
    while (!seen.closed) await sleep(10);
    client.destroy();
    await seen.closed;
    release();
    await sleep(50);
    const next = await fetch(`http://127.0.0.1:${port}/take`);
    expect(next.status).toBe(200);
  });

  it('leaves the keep-alive timeout of a connection whose filter has ended', async () => {
    const { app, port, seen } = await appWithPlaces(1);
    close = () => app.close();
    const res = await fetch(`http://127.0.0.1:${port}/take`);
    expect(await res.text()).toBe('taken');
    await sleep(50);
    // the HTTP server's own keep-alive timeout (with its margin), not none
    expect(seen.socket?.timeout).toBeGreaterThanOrEqual(app.server.keepAliveTimeout);
    expect(app.server.keepAliveTimeout).toBeGreaterThan(0);
    expect((await fetch(`http://127.0.0.1:${port}/take`)).status).toBe(200);
  });

  it('frees the place of a pipelined filter whose connection dies while its answer waits its turn', async () => {
    const { port, seen, release, client } = await pipelined(['/hold', '/hold']);
    while (seen.held < 2) await sleep(10);
    client.destroy();
    await sleep(200);
    // both places are free again: one held anew leaves one more
    const third = fetch(`http://127.0.0.1:${port}/hold`);
    while (seen.held < 3) await sleep(10);
    expect((await fetch(`http://127.0.0.1:${port}/take`)).status).toBe(200);
    release();
    expect((await third).status).toBe(200);
  });

  it('keeps the idle cut of a pipelined filter when the one before it on the connection ends', async () => {
    const { seen, client } = await pipelined(['/take', '/hold']);
    let text = '';
    client.on('data', (d) => {
      text += d;
    });
    while (!text.includes('taken') || seen.held < 1) await sleep(10);
    // the first has ended; the second still runs on the same connection, under the idle cut
    expect(seen.socket?.timeout).toBe(3000);
    client.destroy();
  });

  it('refuses a filter past the limit while one holds its place, and not after it ended', async () => {
    const { app, port, release } = await appWithPlaces(1);
    close = () => app.close();
    const held = fetch(`http://127.0.0.1:${port}/hold`);
    await sleep(100);
    expect((await fetch(`http://127.0.0.1:${port}/take`)).status).toBe(429);
    release();
    expect(await (await held).text()).toBe('held');
    expect((await fetch(`http://127.0.0.1:${port}/take`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/take`)).status).toBe(200);
  });
});
