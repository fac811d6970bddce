import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** How long a closing connection goes on reading what its client still sends, at most. */
export const LINGER_MS = 10_000;

/** Connections closing as they linger. */
const lingering = new WeakSet<Socket>();

/** One server's lingering connections, so that its shutdown can cut them (`cutLingering`). */
export interface LingerSet {
  sockets: Set<Socket>;
  /** Shutting down: a connection that would linger from now on is cut at once. */
  closing: boolean;
}

export const lingerSet = (): LingerSet => ({ sockets: new Set(), closing: false });

/**
 * Closes a connection whose client may still be sending, as a lingering close: the answer is
 * flushed and the server's side ended, and what the client goes on sending is read and thrown
 * away until it closes its side or `ms` pass. Closing at once with unread input would reset the
 * connection, and a client that writes its whole body before reading (most do) would see
 * ECONNRESET or EPIPE instead of its answer. Kept in `set` while it lingers; cut at once when
 * `set`'s server is shutting down.
 */
export function lingeringClose(socket: Socket, ms = LINGER_MS, set?: LingerSet): void {
  if (socket.destroyed || lingering.has(socket)) return;
  if (set?.closing) {
    socket.destroy();
    return;
  }
  lingering.add(socket);
  set?.sockets.add(socket);
  const timer = setTimeout(() => socket.destroy(), ms);
  socket.once('close', () => {
    clearTimeout(timer);
    set?.sockets.delete(socket);
  });
  socket.end();
}

/** For a server shutting down: cuts the connections that linger, and any that would from now on. */
export function cutLingering(set: LingerSet): void {
  set.closing = true;
  for (const socket of set.sockets) socket.destroy();
}

/**
 * True for a request that arrived on a lingering connection: it must not run. Its client was told
 * the connection closes, or sent it after a body that was refused, and no answer can go out on
 * the connection (RFC 9112 §9.6). The body the linger waited for has ended, and the client has
 * moved on from its answer: the connection is cut, so Node parses no more requests from it.
 */
export function arrivedLingering(req: IncomingMessage): boolean {
  if (!lingering.has(req.socket)) return false;
  req.socket.destroy();
  return true;
}
