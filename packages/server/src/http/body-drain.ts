import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LINGER_MS, type LingerSet, lingeringClose } from './lingering-close.ts';

/**
 * How much of a refused body the server reads and throws away to keep its connection; past it, the
 * connection closes, lingering (`lingerMs`) so that a client still sending can read its answer.
 */
export const DRAIN_LIMIT = { bytes: 4 * 1024 * 1024, ms: 30_000, lingerMs: LINGER_MS };

/**
 * The rest of a body answered before it was read (an error such as a 429, a 404): read and thrown away,
 * so the client reads its answer and the keep-alive connection serves its next request, as Node would do
 * alone, but only up to `limit`. A client that sends more, or sends for longer, has its connection closed
 * (lingering), as is one Node closes after the answer. Returns false when the body's declared length is
 * already past the limit: the answer should then say `connection: close`.
 */
export function drainWithin(req: IncomingMessage, limit = DRAIN_LIMIT, set?: LingerSet): boolean {
  const socket = req.socket;
  // while the body is unread, Node closing the connection after the answer (as it does after a
  // 413, whatever the answer says) lingers too
  socket.destroySoon = () => lingeringClose(socket, limit.lingerMs, set);
  if (Number(req.headers['content-length']) > limit.bytes) return false;
  let left = limit.bytes;
  const cut = () => lingeringClose(socket, limit.lingerMs, set);
  const timer = setTimeout(cut, limit.ms);
  const done = () => {
    clearTimeout(timer);
    socket.off('close', done);
  };
  req.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) cut();
  });
  req.once('end', () => {
    done();
    // all read: the connection closes as any other from now on
    Reflect.deleteProperty(socket, 'destroySoon');
  });
  socket.once('close', done);
  return true;
}

/**
 * Before an answer to a request whose body is not (all) read: a body being read by its handler (stalled, too
 * large, cut) cannot be drained, and its connection closes; one nobody read is drained within limits.
 * light-my-request sets no `complete`, and a request with no body has nothing to drain.
 */
export function settleUnreadBody(req: FastifyRequest, reply: FastifyReply, set?: LingerSet): void {
  const raw = req.raw;
  if (raw.complete !== false) return;
  const body = raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length']) > 0;
  if (!body) return;
  if (raw.readableFlowing === false || !drainWithin(raw, DRAIN_LIMIT, set))
    reply.header('connection', 'close');
}
