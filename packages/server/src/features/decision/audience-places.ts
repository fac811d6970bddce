import type { Socket } from 'node:net';
import { AssentError } from '@assent/core';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The places for audience filters in this process: at most `limit` run at once, and a place is freed when
 * its answer is done or its connection closes. While a filter runs, a connection on which nothing moves,
 * in or out, for `idleSeconds` plus a margin that lets the body's own 408 go first is closed (Node lets
 * a first timeout pass while a write is pending, so up to twice that): a client that stops reading the
 * answer leaves the body unread, which the idle limit on the body cannot see.
 */
export function createAudiencePlaces(limit: number, idleSeconds: number) {
  let running = 0;
  function cut(this: Socket) {
    this.destroy();
  }
  /** Filters running on each connection: pipelined ones share its timer, cleared when the last ends. */
  const onSocket = new WeakMap<Socket, number>();
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
      // light-my-request's socket has no timers and no close
      const socket = req.raw.socket as Socket | undefined;
      const real = typeof socket?.setTimeout === 'function';
      if (real) {
        const n = onSocket.get(socket) ?? 0;
        onSocket.set(socket, n + 1);
        // Node destroys a timed-out socket only while nobody else listens for its timeout: say so here
        if (n === 0) socket.on('timeout', cut);
        socket.setTimeout((idleSeconds + 2) * 1000);
      }
      let freed = false;
      const free = () => {
        if (freed) return;
        freed = true;
        running--;
        if (!real) return;
        socket.off('close', free);
        const left = (onSocket.get(socket) ?? 1) - 1;
        onSocket.set(socket, left);
        if (left === 0) socket.off('timeout', cut).setTimeout(0);
      };
      // 'finish' goes before the HTTP server's own listener, which then sets the keep-alive timeout.
      // The socket's close too: a pipelined answer still queued behind another gets neither of the
      // answer's events when the connection dies
      reply.raw.prependOnceListener('finish', free).once('close', free);
      if (real) socket.once('close', free);
      // a client gone before its filter started: its 'close' has been and gone
      if (reply.raw.destroyed || (real && socket.destroyed)) free();
    },
  };
}
