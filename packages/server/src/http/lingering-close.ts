import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

/** How long a closing connection goes on reading what its client still sends, at most. */
export const LINGER_MS = 10_000;

/** Connections closing as they linger: a request that arrives on one is never run. */
const lingering = new WeakSet<Socket>();
/** The lingering connections of each server made by `lingerAwareServer`... */
const lingeringOf = new WeakMap<Server, Set<Socket>>();
/** ...found from each of its connections. */
const siblingsOf = new WeakMap<Socket, Set<Socket>>();

/**
 * Closes a connection whose client may still be sending, as a lingering close: the answer is
 * flushed and the server's side ended, and what the client goes on sending is read and thrown
 * away until it closes its side or `ms` pass. Closing at once with unread input would reset the
 * connection, and a client that writes its whole body before reading (most do) would see
 * ECONNRESET or EPIPE instead of its answer.
 */
export function lingeringClose(socket: Socket, ms = LINGER_MS): void {
  if (socket.destroyed || lingering.has(socket)) return;
  lingering.add(socket);
  const siblings = siblingsOf.get(socket);
  siblings?.add(socket);
  const timer = setTimeout(() => socket.destroy(), ms);
  socket.once('close', () => {
    clearTimeout(timer);
    siblings?.delete(socket);
  });
  socket.end();
}

/** What `lingerAwareServer` takes of Fastify's options: the settings Fastify gives its own server. */
export interface ServerSettings {
  http?: ServerOptions | null;
  keepAliveTimeout?: number;
  requestTimeout?: number;
  connectionTimeout?: number;
}

/**
 * An HTTP server as Fastify makes one (for its `serverFactory`), that never runs a request arriving
 * on a lingering connection: its client was told the connection closes, or is still sending what
 * was refused, and no answer can go out on it (RFC 9112 §9.6). Such a request is read and thrown
 * away. `cutLingering` ends its lingering connections when it closes.
 */
export function lingerAwareServer(handler: RequestListener, o: ServerSettings = {}): Server {
  const mine = new Set<Socket>();
  const server = createServer(o.http ?? {}, (req, res) => {
    if (lingering.has(req.socket)) {
      req.resume();
      return;
    }
    handler(req, res);
  });
  lingeringOf.set(server, mine);
  server.on('connection', (socket: Socket) => siblingsOf.set(socket, mine));
  if (o.keepAliveTimeout !== undefined) server.keepAliveTimeout = o.keepAliveTimeout;
  if (o.requestTimeout !== undefined) server.requestTimeout = o.requestTimeout;
  if (o.connectionTimeout !== undefined) server.setTimeout(o.connectionTimeout);
  return server;
}

/** Cuts the connections of this server that linger, so that closing it need not wait for them. */
export function cutLingering(server: Server): void {
  for (const socket of lingeringOf.get(server) ?? []) socket.destroy();
}
