/**
 * The banner phase: the weight of Assent's bundles beside vanilla-cookieconsent's, then how fast
 * each banner shows, and its script work, on the same page in the same Chromium, beside the page
 * without a banner.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { buildBanner, gzipSize } from '../packages/banner/src/build.ts';
import { type ScriptWork, type Shown, timeLoad, workLoads } from './banner-loads.ts';
import {
  dialogSelector,
  type Reference,
  references,
  startBannerSite,
  type Variant,
  vanillaFiles,
  variants,
} from './banner-site.ts';
import type { BenchContext } from './context.ts';
import { fmt } from './report.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const WARMUPS = 2;

export type Sample = Shown & ScriptWork;

export interface BannerResults {
  /** gzip bytes */
  weight: { banner: number; headless: number; vanillaJs: number; vanillaCss: number; vanillaVersion: string };
  /** null: Chromium is missing. */
  speed: {
    chromium: string;
    runs: number;
    samples: Record<Variant, Sample[]>;
    /** Script time of the reference pages (see banner-site.ts). */
    references: Record<Reference, ScriptWork[]>;
  } | null;
}

function loud(ctx: BenchContext, message: string) {
  const bar = '!'.repeat(78);
  for (const line of [bar, message, bar]) ctx.log(line);
}

export async function runBannerBench(ctx: BenchContext): Promise<BannerResults> {
  ctx.log('banner: building the bundles...');
  const { banner: bundle, sizes } = await buildBanner();
  const vanilla = vanillaFiles();
  const weight = {
    ...sizes,
    vanillaJs: gzipSize(vanilla.js),
    vanillaCss: gzipSize(vanilla.css),
    vanillaVersion: vanilla.version,
  };
  ctx.log(
    `  gzip: assent-banner.js ${fmt(weight.banner)} B, assent-headless.js ${fmt(weight.headless)} B; vanilla-cookieconsent JS ${fmt(weight.vanillaJs)} B + CSS ${fmt(weight.vanillaCss)} B`,
  );
  if (!existsSync(CHROMIUM)) {
    loud(ctx, `banner: NO CHROMIUM at ${CHROMIUM} (apt-get install -y chromium): banner speed NOT MEASURED`);
    return { weight, speed: null };
  }

  const site = await startBannerSite(bundle);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const runs = ctx.bannerRuns;
    const samples: Record<Variant, Sample[]> = { none: [], assent: [], vanilla: [] };
    const refs: Record<Reference, ScriptWork[]> = { script: [], config: [], inline: [], floor: [] };
    const traced = [...variants, ...references];
    ctx.log(
      `banner: Chromium ${browser.version()}, ${WARMUPS} warm-up + ${runs} rounds over the 3 pages (and ${references.length} reference pages, traced only)...`,
    );
    for (let round = 0; round < WARMUPS + runs; round++) {
      // rotate the order so that no page always comes first
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      const shown: Shown[] = [];
      for (const v of order) shown.push(await timeLoad(browser, site.url(v), dialogSelector[v]));
      const pages = traced.map((_, i) => traced[(i + round) % traced.length]);
      const work = await workLoads(
        browser,
        pages.map((p) => ({ url: site.url(p), dialog: dialogSelector[p] })),
      );
      if (round < WARMUPS) continue;
      for (const [i, v] of order.entries()) samples[v].push({ ...shown[i], ...work[pages.indexOf(v)] });
      for (const r of references) refs[r].push(work[pages.indexOf(r)]);
    }
    return { weight, speed: { chromium: browser.version(), runs, samples, references: refs } };
  } finally {
    await browser.close();
    await site.close();
  }
}
