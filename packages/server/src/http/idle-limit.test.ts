import { PassThrough } from 'node:stream';
import { AssentError } from '@assent/core';
import { describe, expect, it } from 'vitest';
import { withIdleLimit } from './idle-limit.ts';

async function collect(it: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('withIdleLimit', () => {
  it('passes every chunk of a body that keeps arriving, to its end', async () => {
    const body = new PassThrough({ objectMode: true });
    const got = collect(withIdleLimit(body, 200));
    for (const c of ['a', 'b', 'c']) {
      await new Promise((r) => setTimeout(r, 50));
      body.write(c);
    }
    body.end();
    expect(await got).toEqual(['a', 'b', 'c']);
  });

  it('ends a body that stops arriving with a 408', async () => {
    const body = new PassThrough({ objectMode: true });
    const seen: unknown[] = [];
    const started = Date.now();
    body.write('a');
    const run = (async () => {
      for await (const x of withIdleLimit(body, 150)) seen.push(x);
    })();
    await expect(run).rejects.toSatisfy(
      (e) => e instanceof AssentError && e.code === 'request_timeout' && /150|0\.15/.test(e.message),
    );
    expect(seen).toEqual(['a']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    // the body is left whole for the answer's `connection: close` to end, not destroyed under it
    expect(body.destroyed).toBe(false);
  });
});
