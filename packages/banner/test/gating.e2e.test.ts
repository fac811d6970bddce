import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConsentSnapshot } from '../src/types.ts';
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
  context = await browser.newContext();
  page = await context.newPage();
});

const ranLog = () => page.evaluate(() => (window as unknown as { ranLog: string[] }).ranLog);
const settle = () => page.waitForTimeout(700); // longer than the vendor script's delay
const scriptsOnly = (log: string[]) => log.filter((x) => x !== 'iframe');

describe('script gating and Consent Mode', () => {
  it('runs nothing before a choice, and the Consent Mode default is dataLayer[0]', async () => {
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).waitFor();
    await settle();
    expect(await ranLog()).toEqual([]);
    expect(await page.locator('iframe').getAttribute('src')).toBeNull();
    const dataLayer = await page.evaluate(() =>
      window.dataLayer!.map((a) => Array.from(a as ArrayLike<unknown>)),
    );
    expect(dataLayer).toEqual([
      [
        'consent',
        'default',
        {
          ad_storage: 'denied',
          ad_user_data: 'denied',
          ad_personalization: 'denied',
          analytics_storage: 'denied',
          functionality_storage: 'denied',
          personalization_storage: 'denied',
          security_storage: 'granted',
          wait_for_update: 500,
        },
      ],
    ]);
    expect(await page.evaluate(() => window.assent!.get().decided)).toBe(false);
  });

  it('after Accept all runs each gated element exactly once, in document order', async () => {
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    const changes = page.evaluate(
      () => new Promise<ConsentSnapshot>((r) => window.addEventListener('assent:change', (e) => r(e.detail))),
    );
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    expect((await changes).decisions).toEqual({ necessary: true, analytics: true, marketing: true });
    await until(async () => (await ranLog()).length === 5);
    await settle();
    const log = await ranLog();
    expect(scriptsOnly(log)).toEqual(['inline-1', 'src', 'inline-2', 'both']);
    expect(log.filter((x) => x === 'iframe')).toHaveLength(1);
    await expect(dialog(page).count()).resolves.toBe(0);

    const last = await page.evaluate(() => Array.from(window.dataLayer!.at(-1) as ArrayLike<unknown>));
    expect(last.slice(0, 2)).toEqual(['consent', 'update']);
    expect(last[2]).toMatchObject({
      analytics_storage: 'granted',
      ad_storage: 'granted',
      security_storage: 'granted',
    });

    await until(() => site.consents.length === 1);
    const [c] = site.consents;
    expect(c.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.body).toMatchObject({
      decisions: { analytics: true, marketing: true },
      interaction: 'accept_all',
      noticeVersionId: 'nv_en_1',
      language: 'en',
      gpc: false,
    });
    // A second scan (a DOM change) must not run anything again.
    await page.evaluate(() => document.body.append(document.createElement('div')));
    await settle();
    expect(await ranLog()).toHaveLength(5);
  });

  it('after Reject all runs nothing and records the refusal', async () => {
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).getByRole('button', { name: 'Reject all' }).click();
    await settle();
    expect(await ranLog()).toEqual([]);
    await until(() => site.consents.length === 1);
    expect(site.consents[0].body).toMatchObject({
      decisions: { analytics: false, marketing: false },
      interaction: 'reject_all',
    });
    const cookie = (await context.cookies()).find((c) => c.name === 'assent_consent');
    expect(cookie?.sameSite).toBe('Lax');
    expect(JSON.parse(decodeURIComponent(cookie!.value))).toMatchObject({
      d: { analytics: false },
      r: 'rev-1',
    });
  });

  it('keeps the choice across a reload without asking or recording again', async () => {
    const url = site.page({ config: testConfig(site.endpoint) });
    await page.goto(url);
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await until(() => site.consents.length === 1);
    // the record leaves the queue when its answer arrives; a reload before that sends it again
    // (same idempotency key, which the server dedupes), so wait for the answer
    await until(async () => page.evaluate(() => (localStorage.getItem('assent_queue') ?? '[]') === '[]'));
    await page.reload();
    await until(async () => (await ranLog()).length === 5);
    expect(await dialog(page).count()).toBe(0);
    const snap = await page.evaluate(() => window.assent!.get());
    expect(snap).toMatchObject({ decided: true, decisions: { analytics: true, marketing: true } });
    expect(snap.decidedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const dataLayer = await page.evaluate(() =>
      window.dataLayer!.map((a) => Array.from(a as ArrayLike<unknown>)),
    );
    expect(dataLayer.map((e) => e[1])).toEqual(['default', 'update']);
    expect(site.consents).toHaveLength(1);
  });

  it('asks again when the revision changes, and runs nothing meanwhile', async () => {
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await page.goto(site.page({ config: testConfig(site.endpoint, { revision: 'rev-2' }) }));
    await dialog(page).waitFor();
    await settle();
    expect(await ranLog()).toEqual([]);
  });

  it('on withdrawal deletes the vendor cookies and suggests a reload', async () => {
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await until(async () => (await ranLog()).length === 5);
    await context.addCookies(
      ['_ga', '_ga_XYZ', '_gat', '_fbp'].map((name) => ({ name, value: '1', url: `${site.origin}/` })),
    );
    const change = page.evaluate(
      () => new Promise<ConsentSnapshot>((r) => window.addEventListener('assent:change', (e) => r(e.detail))),
    );
    // Withdraw analytics through the second layer, keep marketing.
    await page.getByRole('button', { name: 'Privacy choices' }).click();
    await dialog(page).getByRole('button', { name: 'Customize' }).click();
    await expect(
      dialog(page).getByRole('switch', { name: 'Audience measurement' }).isChecked(),
    ).resolves.toBe(true);
    await dialog(page).getByRole('switch', { name: 'Audience measurement' }).uncheck();
    await dialog(page).getByRole('button', { name: 'Save my choices' }).click();
    const detail = await change;
    expect(detail.reloadSuggested).toBe(true);
    expect(detail.decisions).toMatchObject({ analytics: false, marketing: true });
    const names = (await context.cookies()).map((c) => c.name).sort();
    expect(names).toEqual(['_fbp', '_gat', 'assent_consent']);
    const note = page.locator('#assent [role="status"]');
    await expect(note.textContent()).resolves.toContain('Reload the page');
    await note.getByRole('button', { name: 'Reload' }).click();
    await page.waitForLoadState('load');
    await until(async () => (await ranLog())?.includes('iframe'));
    expect(scriptsOnly(await ranLog())).toEqual([]);
    await until(() => site.consents.length === 2);
    expect(site.consents[1].body).toMatchObject({ interaction: 'custom', decisions: { analytics: false } });
  });

  it('headless: inline JSON config, page API, no UI', async () => {
    await page.goto(site.page({ config: testConfig(site.endpoint), bundle: 'headless', inlineJson: true }));
    await page.waitForFunction(() => !!window.assent);
    expect(await page.locator('#assent').count()).toBe(0);
    const shown = page.evaluate(
      () => new Promise((r) => window.addEventListener('assent:show', (e) => r(e.detail), { once: true })),
    );
    await page.evaluate(() => window.assent!.show(true));
    expect(await shown).toEqual({ details: true });
    await page.evaluate(() => window.assent!.set({ analytics: true }));
    await until(async () => (await ranLog()).length === 3);
    await settle();
    expect(await ranLog()).toEqual(['inline-1', 'src', 'inline-2']);
    await until(() => site.consents.length === 1);
    expect(site.consents[0].body).toMatchObject({
      interaction: 'custom',
      decisions: { analytics: true, marketing: false },
    });
    const off = await page.evaluate(() => {
      let calls = 0;
      const stop = window.assent!.on('change', () => calls++);
      window.assent!.rejectAll();
      stop();
      window.assent!.acceptAll();
      return calls;
    });
    expect(off).toBe(1);
  });

  it('without a config logs one error and does nothing', async () => {
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    const url = site.page({ config: testConfig(site.endpoint) });
    await page.route(url, async (route) => {
      const res = await route.fetch();
      const html = (await res.text()).replace(/<script>window\.assentConfig = .*?;<\/script>/, '');
      await route.fulfill({ response: res, body: html });
    });
    await page.goto(url);
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('assent: no config');
    expect(await page.evaluate(() => window.assent)).toBeUndefined();
  });

  it('identify applies the person’s stored choice without recording it, then sends their token', async () => {
    site.state.identify = {
      decisions: { analytics: true, marketing: false },
      decidedAt: new Date().toISOString(),
    };
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).waitFor();
    const result = await page.evaluate(() => window.assent!.identify('subj-token-1'));
    expect(result.decisions).toEqual({ analytics: true, marketing: false });
    expect(site.state.identifyBodies.at(-1)).toMatchObject({ subjectToken: 'subj-token-1' });
    expect(await dialog(page).count()).toBe(0);
    await until(async () => (await ranLog()).length === 3);
    expect(await page.evaluate(() => window.assent!.get().decided)).toBe(true);
    await page.reload();
    await page.evaluate(() => window.assent!.rejectAll());
    await until(() => site.consents.length === 1);
    expect(site.consents[0].body).toMatchObject({ interaction: 'reject_all', subjectToken: 'subj-token-1' });
  });
});
