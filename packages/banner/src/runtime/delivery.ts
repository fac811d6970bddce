import type { CollectConsentBody } from '@assent/core/collect';
import { backoffDelay } from '../lib/backoff.ts';
import { uuid } from '../lib/uuid.ts';
import { lsGet, lsSet } from './storage.ts';

/** One queued choice: its idempotency key, body, failed attempts and next attempt time. */
interface QueuedRecord {
  k: string;
  b: CollectConsentBody;
  n: number;
  at: number;
}

const KEY = 'assent_queue';

/**
 * Sends consent records without ever blocking the page: each one is queued in localStorage first
 * (so a closed tab or a lost network does not lose it), then POSTed with its own Idempotency-Key
 * so retries, even from another tab, record it once.
 */
export function createDelivery(url: string, maxAgeMs: number) {
  let memory: QueuedRecord[] = [];
  const inFlight = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // localStorage is the truth when it works (other tabs share it); memory when it does not. A
  // choice older than the property keeps one is no longer in force, and is dropped: the server
  // keeps a choice's key longer than that, so one sent again is never recorded twice.
  const load = (): QueuedRecord[] =>
    (lsGet<QueuedRecord[]>(KEY) ?? memory).filter(
      (i) => !(Date.now() - Date.parse(i.b.decidedAt ?? '') > maxAgeMs),
    );
  const save = (q: QueuedRecord[]) => {
    memory = q;
    lsSet(KEY, q);
  };

  const settle = (k: string, sent: boolean) => {
    inFlight.delete(k);
    save(
      load().flatMap((i) =>
        i.k !== k
          ? [i]
          : sent
            ? []
            : [{ ...i, n: i.n + 1, at: Date.now() + backoffDelay(i.n, Math.random()) }],
      ),
    );
    flush();
  };

  function flush(force?: boolean): void {
    clearTimeout(timer);
    let wait = Number.POSITIVE_INFINITY;
    const now = Date.now();
    for (const i of load()) {
      if (inFlight.has(i.k)) continue;
      if (!force && i.at > now) {
        wait = Math.min(wait, i.at - now);
        continue;
      }
      inFlight.add(i.k);
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': i.k },
        body: JSON.stringify(i.b),
        credentials: 'omit',
        keepalive: true,
      }).then(
        (r) => {
          const s = r.status;
          const rejected = s >= 400 && s < 500 && s !== 408 && s !== 429;
          if (rejected) console.warn('assent: consent record refused', s);
          settle(i.k, r.ok || rejected);
        },
        () => settle(i.k, false),
      );
    }
    if (wait < Number.POSITIVE_INFINITY) timer = setTimeout(flush, wait);
  }

  return {
    send(body: CollectConsentBody): void {
      save([...load(), { k: uuid(), b: body, n: 0, at: 0 }]);
      flush();
    },
    flush,
  };
}
