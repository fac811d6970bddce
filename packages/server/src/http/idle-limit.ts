import { AssentError } from '@assent/core';

/**
 * The chunks of a request body, but a wait of more than `ms` for the next one ends it with a 408:
 * a client that stops sending must not hold a request, and the server's share of work behind it,
 * open for ever. The 408 answer closes the connection (see the error handler), which ends the body.
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
      // the pending read settles when the connection closes; nothing waits for it any more
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
