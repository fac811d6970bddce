// The banner against the real server: the demo page, the ledger, GPC, offline delivery and a
// material notice change, in Debian's Chromium.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialog, launchChromium, until } from '../../../banner/test/support/browser.ts';
import { type ServerProcess, startServerProcess } from '../support/server-process.ts';
import { freshDatabaseUrl } from '../support/test-database.ts';

const KEY = 'assent_sk_banner_e2e_bootstrap_key_0123456789';

let server: ServerProcess;
let browser: Browser;
let context: BrowserContext | null = null;

beforeAll(async () => {
  const where = await freshDatabaseUrl('sqlite');
  [server, browser] = await Promise.all([
    startServerProcess({ DATA_DIR: where.dataDir, ASSENT_BOOTSTRAP_KEY: KEY, ASSENT_DEMO: '1' }),
    launchChromium(),
  ]);
});
afterAll(async () => {
  await browser?.close();
  server?.child.kill('SIGKILL');
});
afterEach(async () => {
  await context?.close();
  context = null;
});

async function open(gpc = false): Promise<Page> {
  context = await browser.newContext();
  if (gpc) {
    await context.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
    );
  }
  const page = await context.newPage();
  await page.goto(`${server.url}/demo`);
  return page;
}

const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
  const res = await fetch(server.url + path, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test reads of API answers
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

/** The ledger records of the visitor this page's banner speaks for. */
async function ledgerOf(page: Page) {
  const anonymousId = await page.evaluate(() => window.assent?.get().anonymousId);
  const found = await api(`/v1/subjects?identifier=${encodeURIComponent(`anonymous_id:${anonymousId}`)}`);
  const subject = found.body.items[0];
  if (!subject) return [];
  return (await api(`/v1/consent-records?subjectId=${subject.id}`)).body.items as {
    target: { key: string };
    state: string;
    source: string;
    evidence: Record<string, unknown>;
  }[];
}

/** Waits until the visitor has `n` records in the ledger. */
async function ledgerWith(page: Page, n: number, timeoutMs?: number) {
  let records: Awaited<ReturnType<typeof ledgerOf>> = [];
  await until(async () => {
    records = await ledgerOf(page);
    return records.length === n;
  }, timeoutMs);
  return records;
}

const runs = (page: Page) =>
  page.evaluate(() => (window as unknown as { demoRuns?: string[] }).demoRuns ?? []);

describe('the banner on the demo page, recording into the real ledger', () => {
  it('runs nothing before a choice, everything once after Accept all, and records it', async () => {
    const page = await open();
    await expect(dialog(page).isVisible()).resolves.toBe(true);
    const first = await page.evaluate(() => Array.from(window.dataLayer?.[0] as ArrayLike<unknown>));
    expect(first.slice(0, 2)).toEqual(['consent', 'default']);
    expect(first[2]).toMatchObject({
      ad_storage: 'denied',
      analytics_storage: 'denied',
      security_storage: 'granted',
    });
    expect(await runs(page)).toEqual([]);
    expect(await page.textContent('#video')).toBe('not loaded');

    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await until(async () => (await page.textContent('#video')) === 'loaded');
    await until(async () => (await runs(page)).length === 2);
    expect((await runs(page)).sort()).toEqual(['ads', 'analytics']);
    const records = await ledgerWith(page, 2);
    expect(records.map((r) => `${r.target.key}:${r.state}`).sort()).toEqual([
      'analytics:granted',
      'marketing:granted',
    ]);
    expect(records[0]).toMatchObject({ source: 'banner' });
    expect(records[0].evidence).toMatchObject({
      interaction: 'accept_all',
      language: 'en',
      gpc: false,
      ipAddress: '127.0.0.0',
    });

    await page.reload();
    await until(async () => (await runs(page)).length === 2);
    expect(await dialog(page).count()).toBe(0);
    expect(await ledgerOf(page)).toHaveLength(2);
  });

  it('runs nothing after Reject all, and the refusal is recorded too', async () => {
    const page = await open();
    await dialog(page).getByRole('button', { name: 'Reject all' }).click();
    const records = await ledgerWith(page, 2);
    expect(records.map((r) => r.state)).toEqual(['denied', 'denied']);
    await page.reload();
    await page.waitForTimeout(300);
    expect(await runs(page)).toEqual([]);
    expect(await page.textContent('#video')).toBe('not loaded');
  });

  it('with GPC, records the marketing refusal without a click, flagged gpc', async () => {
    const page = await open(true);
    const records = await ledgerWith(page, 1);
    expect(records[0]).toMatchObject({ target: { key: 'marketing' }, state: 'denied', source: 'banner' });
    expect(records[0].evidence).toMatchObject({ gpc: true, interaction: 'gpc' });
    await expect(dialog(page).isVisible()).resolves.toBe(true);
  });

  it('delivers a choice made offline once the network is back', async () => {
    const page = await open();
    await context?.setOffline(true);
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await until(
      async () => (await page.evaluate(() => localStorage.getItem('assent_queue') ?? '[]')) !== '[]',
    );
    await page.waitForTimeout(500);
    expect(await ledgerOf(page).catch(() => [])).toHaveLength(0);
    await context?.setOffline(false);
    const records = await ledgerWith(page, 2, 20_000);
    expect(records.map((r) => r.state)).toEqual(['granted', 'granted']);
  });

  it('asks again after a material change of the notice', async () => {
    const page = await open();
    await dialog(page).getByRole('button', { name: 'Reject all' }).click();
    await until(async () => (await ledgerOf(page)).length === 2);
    await page.reload();
    expect(await dialog(page).count()).toBe(0);
    const notices = (await api('/v1/notices')).body.items as { id: string; key: string }[];
    const banner = notices.find((n) => n.key === 'acme-banner');
    const created = await api(`/v1/notices/${banner?.id}/versions`, {
      method: 'POST',
      body: { language: 'en', content: '<p>We now also share data with a new partner.</p>', material: true },
    });
    expect(created.status).toBe(201);
    await page.waitForTimeout(2_100); // the server caches a configuration for 2 s
    // browsers keep the script a minute (Cache-Control): a returning visitor sees the change within it
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    await page.reload();
    await expect(dialog(page).isVisible()).resolves.toBe(true);
    await expect(dialog(page).textContent()).resolves.toContain('new partner');
  });
});
