/**
 * Runs work that arrives together as batches: what is queued while `maxRunning` batches run
 * waits and goes in the next one (at the first, what arrives in the same turn of the event loop
 * goes together). `take` picks a batch out of the queue (what it leaves waits for the next);
 * `run` answers each of its items, in order. A batch of one is run the same way.
 */
export function createBatcher<T, R>(opts: {
  maxRunning: number;
  take: (queue: T[]) => T[];
  run: (batch: T[]) => Promise<PromiseSettledResult<R>[]>;
}): (item: T) => Promise<R> {
  const queue: { item: T; resolve: (r: R) => void; reject: (err: unknown) => void }[] = [];
  let running = 0;

  async function runBatch(batch: typeof queue) {
    let outcomes: PromiseSettledResult<R>[];
    try {
      outcomes = await opts.run(batch.map((p) => p.item));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i];
      if (o.status === 'fulfilled') p.resolve(o.value);
      else p.reject(o.reason);
    });
  }

  function pump() {
    while (running < opts.maxRunning && queue.length) {
      const items = opts.take(queue.map((p) => p.item));
      if (!items.length) return;
      const taken = new Set(items);
      const batch = queue.filter((p) => taken.has(p.item));
      queue.splice(0, queue.length, ...queue.filter((p) => !taken.has(p.item)));
      running++;
      void runBatch(batch).finally(() => {
        running--;
        pump();
      });
    }
  }

  return (item: T) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (queue.length === 1 && running < opts.maxRunning) setImmediate(pump);
    });
}

/** Runs `one` for each item, each answered on its own (a batch that could not run together). */
export const eachAlone = <T, R>(batch: T[], one: (item: T) => Promise<R>) =>
  Promise.allSettled(batch.map((item) => one(item)));

/** `make(key)` made once per key (such as one batcher per connection pool), kept while the key lives. */
export function onePer<K extends object, V>(make: (key: K) => V): (key: K) => V {
  const made = new WeakMap<K, V>();
  return (key) => {
    let v = made.get(key);
    if (v === undefined) {
      v = make(key);
      made.set(key, v);
    }
    return v;
  };
}
