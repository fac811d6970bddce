import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dialog, launchChromium, until } from './support/browser.ts';
import { testConfig } from './support/config.ts';
import { type Site, startSite } from './support/site.ts';

let site: Site;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  [site, browser] = await Promise.all([startSite(), launchChromium()]);
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});
beforeEach(async () => {
  site.reset();
  await context?.close();
});

async function open(options: Parameters<Browser['newContext']>[0] = {}) {
  context = await browser.newContext(options);
  page = await context.newPage();
}
const queue = () =>
  page.evaluate(
    () => JSON.parse(localStorage.getItem('assent_queue') ?? '[]') as { k: string; b: unknown; n: number }[],
  );

describe('Global Privacy Control', () => {
  it('records the opt-out of sale/sharing at once and still asks for the rest', async () => {
    await open();
    await context.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
    );
    const url = site.page({ config: testConfig(site.endpoint) });
    await page.goto(url);
    await until(() => site.consents.length === 1);
    expect(site.consents[0].body).toMatchObject({
      interaction: 'gpc',
      gpc: true,
      decisions: { marketing: false },
    });
    expect(site.consents[0].body.decisions).not.toHaveProperty('analytics');
    await dialog(page).getByRole('button', { name: 'Customize' }).click();
    const marketing = dialog(page).getByRole('switch', { name: 'Advertising' });
    expect(await marketing.isChecked()).toBe(false);
    expect(await marketing.isDisabled()).toBe(true);
    await expect(dialog(page).textContent()).resolves.toContain('Global Privacy Control signal');
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await until(() => site.consents.length === 2);
    expect(site.consents[1].body).toMatchObject({
      interaction: 'accept_all',
      gpc: true,
      decisions: { analytics: true, marketing: false },
    });
    expect(await page.evaluate(() => window.assent!.get())).toMatchObject({
      gpc: true,
      decisions: { analytics: true, marketing: false },
    });
    // The opt-out is on file: a reload records nothing more.
    await page.reload();
    await page.waitForTimeout(500);
    expect(site.consents).toHaveLength(2);
  });
});

describe('delivery to the ledger', () => {
  it('queues a choice made offline in localStorage and sends it once back online', async () => {
    await open();
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).waitFor();
    await context.setOffline(true);
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await until(async () => ((await queue())[0]?.n ?? 0) >= 1);
    const [queued] = await queue();
    expect(queued.b).toMatchObject({ interaction: 'accept_all', decisions: { analytics: true } });
    expect(site.consents).toHaveLength(0);
    await context.setOffline(false);
    await until(() => site.consents.length === 1);
    expect(site.consents[0].idempotencyKey).toBe(queued.k);
    expect(site.consents[0].contentType).toBe('application/json');
    await until(async () => (await queue()).length === 0);
  });

  it('retries server errors with backoff and drops records the server refuses', async () => {
    await open();
    const warnings: string[] = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    site.state.consentStatus = 503;
    await page.evaluate(() => window.assent!.acceptAll());
    await until(async () => ((await queue())[0]?.n ?? 0) >= 1);
    site.state.consentStatus = 0;
    await until(() => site.consents.length === 1); // the first retry comes after 0.5-1 s
    await until(async () => (await queue()).length === 0);

    site.state.consentStatus = 400;
    await page.evaluate(() => window.assent!.rejectAll());
    await until(async () => warnings.some((w) => w.includes('refused')));
    expect(await queue()).toEqual([]);
  });

  /** Opens a page, goes offline and rejects all: the choice waits in the queue. */
  async function rejectOffline() {
    await open();
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await context.setOffline(true);
    await page.evaluate(() => window.assent!.rejectAll());
    await until(async () => (await queue()).length === 1);
  }

  it('a queued record left by a closed page is sent on the next load', async () => {
    await rejectOffline();
    await context.setOffline(false);
    // Reload at once: the pending retry timer dies with the page, the load flushes the queue.
    await page.reload();
    await until(() => site.consents.length >= 1);
    expect(site.consents[0].body.interaction).toBe('reject_all');
  });

  it('sends a choice queued for weeks, and drops one older than the property keeps a choice', async () => {
    const age = async (days: number) => {
      await rejectOffline();
      // as if the page had been closed, offline, that many days ago
      await page.evaluate((d) => {
        const q = JSON.parse(localStorage.getItem('assent_queue')!);
        q[0].b.decidedAt = new Date(Date.now() - d * 864e5).toISOString();
        localStorage.setItem('assent_queue', JSON.stringify(q));
      }, days);
      await context.setOffline(false);
      await page.reload();
    };
    const daysOld = () =>
      site.consents.map(
        (c) =>
          `${c.body.interaction} ${Math.round((Date.now() - Date.parse(c.body.decidedAt ?? '')) / 864e5)}`,
      );
    await age(30);
    await until(() => site.consents.length >= 1);
    expect(daysOld()).toContain('reject_all 30');
    site.consents.length = 0;
    await age(testConfig(site.endpoint).choiceDays + 1);
    await page.evaluate(() => window.assent!.acceptAll());
    await until(() => site.consents.length >= 1);
    await page.waitForTimeout(300);
    // (the 30-day-old choice may come again: a keepalive request of the page before the reload)
    expect(daysOld()).toContain('accept_all 0');
    expect(daysOld().filter((d) => Number(d.split(' ')[1]) > 100)).toEqual([]);
    expect(await queue()).toEqual([]);
  });
});

describe('beacons, language and dismissal', () => {
  it('sends shown/opened_details/custom beacons with variant and language', async () => {
    await open();
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).getByRole('button', { name: 'Customize' }).click();
    await dialog(page).getByRole('button', { name: 'Save my choices' }).click();
    await until(() => site.events.length === 3);
    // the saved choice too, so that it does not land in the next test
    await until(() => site.consents.length === 1);
    expect(site.events).toEqual([
      { type: 'shown', variant: 'A', language: 'en' },
      { type: 'opened_details', variant: 'A', language: 'en' },
      { type: 'custom', variant: 'A', language: 'en' },
    ]);
  });

  it('speaks the browser’s language by primary subtag', async () => {
    await open({ locale: 'fr-CA' });
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).getByRole('button', { name: 'Tout refuser' }).click();
    await until(() => site.consents.length === 1);
    expect(site.consents[0].body).toMatchObject({ language: 'fr', noticeVersionId: 'nv_fr_1' });
    expect(await page.locator('#assent').getAttribute('lang')).toBe('fr');
  });

  it('closing is a refusal that is not stored, for the rest of the session', async () => {
    await open();
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).waitFor();
    await page.keyboard.press('Escape');
    expect(await dialog(page).count()).toBe(0);
    await until(() => site.events.some((e) => e.type === 'dismissed'));
    await page.reload();
    await page.waitForTimeout(500);
    expect(await dialog(page).count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { ranLog: string[] }).ranLog)).toEqual([]);
    expect((await context.cookies()).map((c) => c.name)).not.toContain('assent_consent');
    expect(site.consents).toHaveLength(0);
    await page.evaluate(() => window.assent!.show());
    await dialog(page).waitFor();
  });
});
