import { BANNER_BUDGET_BYTES } from '../packages/banner/src/build.ts';
import { SETTLE_MS } from './banner-loads.ts';
import { type BannerResults, CHROMIUM, type Sample, WARMUPS } from './banner-phase.ts';
import type { Reference } from './banner-site.ts';
import { type Figure, fmt } from './report.ts';

/** The targets. */
const VISIBLE_DELAY_MS = 40;
const SCRIPT_MS = 5;
const VISIBLE_TARGET = `<= +${VISIBLE_DELAY_MS} ms`;
const SCRIPT_TARGET = `< ${SCRIPT_MS} ms`;

/** Nearest-rank quantile. */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
const median = (v: number[]) => quantile(v, 0.5);
const p90 = (v: number[]) => quantile(v, 0.9);

const ms = (n: number) => `${fmt(n, n < 10 ? 1 : 0)} ms`;
const signed = (n: number) => `${n < 0 ? '-' : '+'}${ms(Math.abs(n))}`;
const pick = (samples: Sample[], key: keyof Sample) => samples.map((s) => s[key]);

export function buildBannerFigures(r: BannerResults): { rows: Figure[]; notes: string[] } {
  const w = r.weight;
  const vanillaBytes = w.vanillaJs + w.vanillaCss;
  const rows: Figure[] = [
    {
      name: 'banner weight (gzip)',
      measured: `${fmt(w.banner)} B JS+CSS (headless ${fmt(w.headless)} B)`,
      baseline: `vanilla-cookieconsent ${fmt(vanillaBytes)} B (JS ${fmt(w.vanillaJs)} + CSS ${fmt(w.vanillaCss)})`,
      ratio: vanillaBytes / w.banner,
      target: `<= ${fmt(BANNER_BUDGET_BYTES)} B (8 KB)`,
      pass: w.banner <= BANNER_BUDGET_BYTES,
    },
  ];
  const notes = [
    `Banner figures: ratio = vanilla-cookieconsent / Assent (bytes, ms from navigation start, script ms), so higher is still better. Weight is \`gzip -6\` of each file as served: Assent ships one file with its CSS inside, vanilla-cookieconsent ${w.vanillaVersion} \`dist/cookieconsent.umd.js\` + \`dist/cookieconsent.css\`.`,
  ];
  if (!r.speed) {
    const missing = {
      measured: `not measured (no Chromium at ${CHROMIUM})`,
      baseline: '-',
      ratio: null,
      pass: null,
    };
    rows.push(
      { name: 'banner visible vs page without banner', target: VISIBLE_TARGET, ...missing },
      { name: 'banner script time', target: SCRIPT_TARGET, ...missing },
    );
    notes.push(`Banner speed was not measured: ${CHROMIUM} is missing (apt-get install -y chromium).`);
    return { rows, notes };
  }

  const { none, assent, vanilla } = r.speed.samples;
  const pageAt = median(pick(none, 'page'));
  const shownAt = (s: Sample[]) => median(pick(s, 'banner'));
  const delay = (s: Sample[]) => shownAt(s) - pageAt;
  const visible = (s: Sample[]) =>
    `${signed(delay(s))} (at ${ms(shownAt(s))}, p90 ${ms(p90(pick(s, 'banner')))})`;
  rows.push({
    name: 'banner visible vs page without banner',
    measured: visible(assent),
    baseline: `vanilla-cookieconsent ${visible(vanilla)}; no banner ${ms(pageAt)} (p90 ${ms(p90(pick(none, 'page')))})`,
    ratio: shownAt(vanilla) / shownAt(assent),
    target: VISIBLE_TARGET,
    pass: delay(assent) <= VISIBLE_DELAY_MS,
  });

  const baseCpu = median(pick(none, 'cpu'));
  const cpu = (s: Sample[]) => median(pick(s, 'cpu')) - baseCpu;
  const script = (s: Sample[]) =>
    `${signed(cpu(s))} CPU (p90 ${signed(p90(pick(s, 'cpu')) - baseCpu)}; forced layout ${ms(median(pick(s, 'forcedLayout')))}; wall ${ms(median(pick(s, 'wall')))})`;
  rows.push({
    name: 'banner script time',
    measured: script(assent),
    baseline: `vanilla-cookieconsent ${script(vanilla)}; no banner ${ms(baseCpu)}`,
    ratio: cpu(assent) > 0 ? cpu(vanilla) / cpu(assent) : null,
    target: SCRIPT_TARGET,
    pass: cpu(assent) < SCRIPT_MS,
  });

  const fcp = (s: Sample[]) => ms(median(pick(s, 'fcp')));
  const ref = (page: Reference) => signed(median(r.speed!.references[page].map((w) => w.cpu)) - baseCpu);
  notes.push(
    `Banner speed: one article page (header, 5 paragraphs, sidebar, footer, no images) served from 127.0.0.1 in three variants, in Chromium ${r.speed.chromium} (${CHROMIUM}, --headless --no-sandbox --disable-gpu --disable-background-networking, 1280x800); ${WARMUPS} warm-up rounds, then ${r.speed.runs} rounds, each loading every variant in a fresh browser context (no stored choice, no cache), the order rotating each round. Figures are medians (p90 where shown).`,
    'Visible: an init script checks at every animation frame, before it is painted, whether the dialog (`#assent [role="dialog"]`, `#cc-main .cm`) has a non-empty box, `visibility: visible` and opacity > 0, and records `performance.now()` (ms from navigation start) the first time; "page visible" is the same check on the article h1 of the page without a banner. The delay is the median banner time minus the median page time.',
    `Page h1 first frame, median: no banner ${ms(pageAt)}, Assent page ${ms(median(pick(assent, 'page')))}, vanilla-cookieconsent page ${ms(median(pick(vanilla, 'page')))}; first-contentful-paint: ${fcp(none)}, ${fcp(assent)}, ${fcp(vanilla)}. The issue's reference: page visible ~55 ms, vanilla-cookieconsent ~245 ms.`,
    `Script time: a second load of each variant under a devtools.timeline trace, with nothing of the bench running in the page, to ${SETTLE_MS} ms after the load event (what runs when the bench then closes the page, such as pagehide handlers, is not counted); the CPU (thread) time of the top-level script events (EvaluateScript, FunctionCall, RunMicrotasks, compile) on the page main thread, minus the page without a banner. "Forced layout" is the style and layout those scripts force synchronously (part of the CPU figure: work the page would otherwise do in its next frame); "wall" includes waits on the browser process (document.cookie, localStorage) and time the OS ran something else.`,
    `Script time floor, traced the same way on the same page: one trivial inline script (\`<script>window.x = 1;</script>\`) ${ref('script')} CPU, the fixed cost of running any script at all in this measurement; Assent's config as an inline script on its own (\`window.assentConfig = {...}\`) ${ref('config')} CPU.`,
    `A banner's floor on this page, traced the same way: one inline script that does only what any consent dialog must (reads \`document.cookie\`, inserts a dialog of one paragraph and two buttons once the page is parsed, moves focus into it after the first frame) ${ref('floor')} CPU. On a page with no other script, the first script to touch an element, the cookie jar or the HTML parser pays Chromium's one-time setup of each.`,
    `Assent's other embedding, as a static file (the config in an inline script, then \`assent-banner.js\`, first in <head>), traced the same way: ${ref('inline')} CPU. It pays for a second script.`,
    'Assent is embedded as its README says first: one tag first in <head>, the script as `/c/{key}/banner.js` serves it (the compile hint line, the config, then the bundle, in one file, made by the same `withConfig` the server uses); vanilla-cookieconsent as its docs say (CSS in <head>, UMD build and a config file deferred), with necessary/analytics/marketing categories, the same vendors as cookie tables, en + fr, a bar consent modal and `hideFromBots: false` (its default hides the banner from navigator.webdriver, which Playwright sets). Its config has no Consent Mode or GPC handling, which Assent does.',
  );
  return { rows, notes };
}
