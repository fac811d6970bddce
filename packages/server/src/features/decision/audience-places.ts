import type { Socket } from 'node:net';
import { AssentError } from '@assent/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The places for audience filters in this process: at most `limit` run at once, and a place is freed when
 * its answer is done or its connection closes. While a filter runs, a connection on which nothing moves,
 * in or out, for `idleSeconds` (plus a margin that lets the body's own 408 go first) is closed: a client
 * that stops reading the answer leaves the body unread, which the idle limit on the body cannot see.
 */
export function createAudiencePlaces(limit: number, idleSeconds: number) {
  let running = 0;
  return {
    /** Takes a place for this request, or throws a 429 problem. */
    take(req: FastifyRequest, reply: FastifyReply): void {
      if (running >= limit) {
        reply.header('retry-after', '10');
        throw new AssentError(
          'rate_limited',
          `At most ${limit} audience filters run at once here: retry when one has ended`,
        );
      }
      running++;
      // light-my-request's socket has no timers
      const socket = req.raw.socket as Socket | undefined;
      const timed = typeof socket?.setTimeout === 'function';
      const cut = () => socket?.destroy();
      if (timed) socket.setTimeout((idleSeconds + 2) * 1000).on('timeout', cut);
      let freed = false;
      const free = () => {
        if (freed) return;
        freed = true;
        running--;
        if (timed) socket.off('timeout', cut).setTimeout(0);
      };
      // 'finish' goes before the HTTP server's own listener, which then sets the keep-alive timeout
      reply.raw.prependOnceListener('finish', free).once('close', free);
      // a client gone before its filter started: its 'close' has been and gone
      if (reply.raw.destroyed) free();
    },
  };
}
