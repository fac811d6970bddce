import { AssentError } from '@assent/core';

/**
 * The chunks of a request body, but a wait of more than `ms` for the next one ends it with a 408:
 * a client that stops sending must not hold a request, and the server's share of work behind it,
 * open for ever. The 408 answer closes the connection (see the error handler), which ends the body.
 * Nor does an early stop by the consumer destroy the body, for the same reason.
 */
export async function* withIdleLimit<T>(body: AsyncIterable<T>, ms: number): AsyncGenerator<T> {
  const it = body[Symbol.asyncIterator]();
  for (;;) {
    const next = it.next();
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<'idle'>((resolve) => {
      timer = setTimeout(() => resolve('idle'), ms);
    });
    const r = await Promise.race([next, idle]).finally(() => clearTimeout(timer));
    if (r === 'idle') {
      // the pending read is left to itself (nothing waits for it) and the body is not destroyed: that
      // would destroy the socket before the 408 is sent, whose `connection: close` ends the body instead
      next.catch(() => {});
      throw new AssentError(
        'request_timeout',
        `Nothing of the body arrived for ${ms / 1000} s: the upload was cut`,
      );
    }
    if (r.done) return;
    yield r.value;
  }
}
