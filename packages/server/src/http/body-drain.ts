import type { IncomingMessage } from 'node:http';

/** How much of a refused body the server reads and throws away to keep its connection; past it, the connection closes. */
export const DRAIN_LIMIT = { bytes: 4 * 1024 * 1024, ms: 30_000 };

/**
 * The rest of a body answered before it was read (an error such as a 429, or a 413 on its declared length):
 * read and thrown away, so the client reads its answer and the keep-alive connection serves its next request,
 * as Node would do alone, but only up to `limit`. A client that sends more, or sends for longer, has its
 * connection closed. Returns false when the body's declared length is already past the limit: the answer should
 * then say `connection: close`.
 */
export function drainWithin(req: IncomingMessage, limit = DRAIN_LIMIT): boolean {
  if (Number(req.headers['content-length']) > limit.bytes) return false;
  const socket = req.socket;
  let left = limit.bytes;
  const cut = () => socket.destroy();
  const timer = setTimeout(cut, limit.ms);
  const done = () => clearTimeout(timer);
  req.on('data', (chunk: Buffer) => {
    left -= chunk.length;
    if (left < 0) cut();
  });
  req.once('end', done);
  socket.once('close', done);
  return true;
}
