/**
 * The two page loads behind each banner sample, both in a fresh browser context (no stored
 * choice, no cache): one times when the page and its banner first show, the other traces the
 * main thread's script work with nothing of ours running in the page.
 */
import type { Browser, Page } from 'playwright-core';

/** After the load event, before the trace stops: vanilla-cookieconsent starts its fade-in 100 ms after it shows. */
export const SETTLE_MS = 300;
const VISIBLE_TIMEOUT_MS = 10_000;

/** Milliseconds from navigation start. */
export interface Shown {
  /** The first frame in which the article's h1 is laid out. */
  page: number;
  /** The first frame in which the banner's dialog is visible; 0 without a banner. */
  banner: number;
  fcp: number;
}

/** Main-thread script work of a whole load, in ms. */
export interface ScriptWork {
  /** Thread (CPU) time in top-level script events: compile, evaluate, callbacks, microtasks. */
  cpu: number;
  /** Wall time of the same events (includes waits for the browser process and descheduling). */
  wall: number;
  /** The CPU time of style and layout forced from inside those scripts (part of `cpu`). */
  forcedLayout: number;
}

interface Probe extends Shown {
  ready: Promise<void>;
}

/**
 * Runs in the page before its own scripts. Each animation frame, before it is painted, checks the
 * targets: visible = a non-empty box, `visibility: visible` and opacity above 0 (a fade-in counts
 * from its first non-transparent frame).
 */
function probe(dialog: string | null) {
  let done = () => {};
  const b: Probe = { page: 0, banner: 0, fcp: 0, ready: new Promise<void>((r) => (done = r)) };
  Object.assign(window, { __bench: b });
  const check = () => {
    if (b.page && b.fcp && (b.banner || !dialog)) done();
  };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'first-contentful-paint') b.fcp = e.startTime;
    check();
  }).observe({ type: 'paint', buffered: true });
  const shown = (selector: string) => {
    const el = document.querySelector(selector);
    if (!el) return false;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility === 'visible' && Number(style.opacity) > 0;
  };
  const frame = () => {
    const now = performance.now();
    if (!b.page && shown('main h1')) b.page = now;
    if (dialog && !b.banner && shown(dialog)) b.banner = now;
    if (b.page && (b.banner || !dialog)) check();
    else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

async function inFreshPage<T>(browser: Browser, fn: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  try {
    return await fn(await context.newPage());
  } finally {
    await context.close();
  }
}

/** When the page and its banner first show, from the in-page probe. */
export function timeLoad(browser: Browser, url: string, dialog: string | null): Promise<Shown> {
  return inFreshPage(browser, async (page) => {
    // tsx keeps function names with __name() calls, which the page lacks: give it a no-op one
    await page.addInitScript({ content: `var __name = (f) => f; (${probe})(${JSON.stringify(dialog)});` });
    await page.goto(url, { waitUntil: 'load' });
    return page.evaluate(
      (ms) =>
        Promise.race([
          (window as unknown as { __bench: Probe }).__bench.ready.then(() => {
            const { page, banner, fcp } = (window as unknown as { __bench: Probe }).__bench;
            return { page, banner, fcp };
          }),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`nothing visible after ${ms} ms`)), ms),
          ),
        ]),
      VISIBLE_TIMEOUT_MS,
    );
  });
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
  args?: { data?: { url?: string; isMainFrame?: boolean }; beginData?: { url?: string } };
}

// Top-level events that run JavaScript; a TimerFire or EventDispatch holds a FunctionCall.
const SCRIPT_EVENTS = new Set([
  'EvaluateScript',
  'FunctionCall',
  'RunMicrotasks',
  'v8.compile',
  'v8.compileModule',
  'v8.evaluateModule',
]);
const LAYOUT_EVENTS = new Set(['Layout', 'UpdateLayoutTree']);

const firstParse = (events: TraceEvent[], url: string) =>
  events.find((e) => e.name === 'ParseHTML' && e.args?.beginData?.url === url);

/**
 * Sums the script events of the thread that parsed `url`, from its first parse to SETTLE_MS after
 * its load event (and before `until`, the next load's first parse), each counted once however
 * nested. Whatever runs when the bench then closes the page (pagehide, unload) is left out.
 */
export function scriptWork(events: TraceEvent[], url: string, until = Number.POSITIVE_INFINITY): ScriptWork {
  const parser = firstParse(events, url);
  if (!parser) throw new Error(`the trace has no ParseHTML for ${url}`);
  const load = events.find(
    (e) => e.name === 'MarkLoad' && e.pid === parser.pid && e.ts >= parser.ts && e.args?.data?.isMainFrame,
  );
  if (!load) throw new Error(`the trace has no load event for ${url}`);
  until = Math.min(until, load.ts + SETTLE_MS * 1000);
  const thread = events
    .filter(
      (e) =>
        e.pid === parser.pid &&
        e.tid === parser.tid &&
        e.ph === 'X' &&
        e.dur !== undefined &&
        e.ts >= parser.ts &&
        e.ts < until,
    )
    .sort((a, b) => a.ts - b.ts);
  const work: ScriptWork = { cpu: 0, wall: 0, forcedLayout: 0 };
  let end = 0;
  for (const e of thread) {
    const eEnd = e.ts + (e.dur ?? 0);
    if (SCRIPT_EVENTS.has(e.name) && e.ts >= end) {
      work.cpu += (e.tdur ?? 0) / 1000;
      work.wall += (e.dur ?? 0) / 1000;
      end = eEnd;
    } else if (LAYOUT_EVENTS.has(e.name) && e.ts < end && eEnd <= end) {
      work.forcedLayout += (e.tdur ?? 0) / 1000;
    }
  }
  return work;
}

/**
 * Loads each page in turn under one devtools.timeline trace, each until SETTLE_MS after its load
 * event, checks that its banner showed, and returns each load's script work.
 */
export async function workLoads(
  browser: Browser,
  loads: { url: string; dialog: string | null }[],
): Promise<ScriptWork[]> {
  await browser.startTracing(undefined, { categories: ['devtools.timeline'] });
  let trace: Buffer | undefined;
  try {
    for (const { url, dialog } of loads) {
      await inFreshPage(browser, async (page) => {
        await page.goto(url, { waitUntil: 'load' });
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        if (dialog && !(await page.locator(dialog).isVisible()))
          throw new Error(`${dialog} did not show on ${url}`);
      });
    }
  } finally {
    trace = await browser.stopTracing();
  }
  const events = (JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] }).traceEvents;
  // the last load runs to the end of the trace (a ParseHTML of url '', a blank document, is no bound)
  const next = (i: number) => (i + 1 < loads.length ? firstParse(events, loads[i + 1].url)?.ts : undefined);
  return loads.map(({ url }, i) => scriptWork(events, url, next(i)));
}
