/**
 * What a real page does to a banner: no texts yet, a dataLayer assigned again, module/nomodule
 * pairs, listeners in later scripts, cookies left by earlier visits, Safari's cap on script cookies,
 * a person's old choices.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { encodeChoice } from '../src/lib/choice-codec.ts';
import { dialog, until } from './support/browser.ts';
import { testConfig } from './support/config.ts';
import { useSiteAndBrowser } from './support/suite.ts';

const t = useSiteAndBrowser();
let page: Page;
let context: BrowserContext;
beforeEach(async () => {
  page = await t.open();
  context = t.context!;
});
const DAY_MS = 86_400_000;
const ranLog = () => page.evaluate(() => (window as unknown as { ranLog: string[] }).ranLog);
const consentCalls = () =>
  page.evaluate(() =>
    (window.dataLayer ?? [])
      .map((a) => Array.from(a as ArrayLike<unknown>))
      .filter((e) => e[0] === 'consent'),
  );

describe('the banner on real pages', () => {
  it('pushes the Consent Mode default even when the configuration has no texts yet', async () => {
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(t.site.page({ config: testConfig(t.site.endpoint, { languages: {} }) }));
    await page.waitForTimeout(300);
    const calls = await consentCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0].slice(0, 2)).toEqual(['consent', 'default']);
    expect(calls[0][2]).toMatchObject({ analytics_storage: 'denied', ad_storage: 'denied' });
    expect(errors.join('\n')).toContain('no texts');
    expect(await ranLog()).toEqual([]);
  });

  it("sends the default again, and updates, to the page's dataLayer when the page assigned a new one", async () => {
    await page.goto(
      t.site.page({
        config: testConfig(t.site.endpoint),
        body: '<script>window.dataLayer = [{ event: "page" }];</script>',
      }),
    );
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    const calls = await consentCalls();
    // the default the new array lost is pushed again once the document is parsed
    expect(calls.map((c) => c[1])).toEqual(['default', 'update']);
    expect(calls[0][2]).toMatchObject({ analytics_storage: 'denied' });
    expect(calls[1][2]).toMatchObject({ analytics_storage: 'granted' });
  });

  it('a gated nomodule script does not hold back the gated scripts after it', async () => {
    await page.goto(
      t.site.page({
        config: testConfig(t.site.endpoint),
        body: `
<script type="text/plain" data-assent-purpose="analytics" data-assent-type="module" src="/vendor.js"></script>
<script type="text/plain" data-assent-purpose="analytics" nomodule src="/vendor.js?legacy"></script>
<script type="text/plain" data-assent-purpose="analytics" data-assent-type="text/x-template">ranLog.push('template')</script>
<script type="text/plain" data-assent-purpose="analytics">ranLog.push('after')</script>`,
      }),
    );
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await until(async () => (await ranLog()).includes('after'));
    await page.waitForTimeout(500);
    expect(await ranLog()).toEqual(['src', 'after']);
  });

  it("fires assent:ready where the page's own later scripts hear it", async () => {
    await page.goto(
      t.site.page({
        config: testConfig(t.site.endpoint),
        body: `<script>
          window.heard = [];
          addEventListener('assent:ready', (e) => heard.push(e.detail.decided));
        </script>`,
      }),
    );
    await page.waitForLoadState('load');
    expect(await page.evaluate(() => (window as unknown as { heard: boolean[] }).heard)).toEqual([false]);
  });

  it('fires assent:ready before a change made while the document was still being parsed', async () => {
    await page.goto(
      t.site.page({
        config: testConfig(t.site.endpoint),
        body: `<script>
          window.heard = [];
          addEventListener('assent:change', (e) => heard.push('change ' + e.detail.decisions.analytics));
          addEventListener('assent:ready', (e) => heard.push('ready ' + e.detail.decisions.analytics));
          assent.acceptAll();
          heard.push('parsing ' + assent.get().decisions.analytics);
        </script>`,
      }),
    );
    await page.waitForLoadState('load');
    expect(await page.evaluate(() => (window as unknown as { heard: string[] }).heard)).toEqual([
      'parsing true',
      'ready true',
      'change true',
    ]);
    // later changes are announced at once
    await page.evaluate(() => window.assent!.rejectAll());
    expect(
      await page.evaluate(() => (window as unknown as { heard: string[] }).heard).then((h) => h.slice(3)),
    ).toEqual(['change false']);
    // two changes before ready: one is announced, and a reload the first suggested still stands
    await page.goto(
      t.site.page({
        config: testConfig(t.site.endpoint),
        body: `<script type="text/plain" data-assent-purpose="analytics">ranLog.push('gated')</script>
        <script>
          window.heard = [];
          addEventListener('assent:change', (e) => heard.push('change ' + e.detail.decisions.analytics + ' ' + e.detail.reloadSuggested));
          addEventListener('assent:ready', () => heard.push('ready'));
          assent.acceptAll();
          assent.set({ analytics: false, marketing: true });
          assent.set({ analytics: false, marketing: false });
        </script>`,
      }),
    );
    await page.waitForLoadState('load');
    expect(await page.evaluate(() => (window as unknown as { heard: string[] }).heard)).toEqual([
      'ready',
      'change false true',
    ]);
  });

  it('deletes the cookies of every refused purpose, also ones granted on an earlier visit', async () => {
    await page.goto(t.site.page({ config: testConfig(t.site.endpoint) }));
    await dialog(page).getByRole('button', { name: 'Accept all' }).click();
    await context.addCookies(['_ga', '_fbp'].map((name) => ({ name, value: '1', url: `${t.site.origin}/` })));
    // a material notice change: asked again, this page starts with nothing granted
    await page.goto(t.site.page({ config: testConfig(t.site.endpoint, { revision: 'rev-2' }) }));
    await dialog(page).getByRole('button', { name: 'Reject all' }).click();
    await until(async () => !(await context.cookies()).some((c) => c.name === '_ga'));
    expect((await context.cookies()).map((c) => c.name)).toEqual(['assent_consent']);
  });

  it('writes the stored choice again on each visit, for what is left of its lifetime', async () => {
    const chosenAt = Date.now() - 10 * DAY_MS;
    const choice = {
      a: 'anon-1',
      d: { analytics: true, marketing: false },
      n: 'nv_en_1',
      r: 'rev-1',
      t: chosenAt,
      g: false,
    };
    // as Safari leaves a cookie written by script: 7 days at most
    await context.addCookies([
      {
        name: 'assent_consent',
        value: encodeChoice(choice),
        url: `${t.site.origin}/`,
        expires: Math.round(Date.now() / 1000) + 60,
      },
    ]);
    await page.goto(t.site.page({ config: testConfig(t.site.endpoint) }));
    await until(async () => (await ranLog()).length === 3);
    expect(await dialog(page).count()).toBe(0);
    const cookie = (await context.cookies()).find((c) => c.name === 'assent_consent')!;
    const expected = (chosenAt + 182 * DAY_MS) / 1000;
    expect(Math.abs(cookie.expires - expected)).toBeLessThan(120);
  });

  it('takes focus from an element the page focused first, and brings Tab back from a #fragment target', async () => {
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? null);
    const inDialog = () =>
      page.evaluate(
        () => !!document.querySelector('#assent [role="dialog"]')?.contains(document.activeElement),
      );
    await page.goto(
      t.site.page({
        config: testConfig(t.site.endpoint),
        body: `<script>document.getElementById('page-button').focus()</script>`,
      }),
    );
    await dialog(page).waitFor();
    await expect.poll(focused).toBe('Close without accepting');
    // a URL fragment: the browser focuses its target once the page is parsed; Tab comes back in
    await page.goto(`${t.site.page({ config: testConfig(t.site.endpoint) })}#page-button`);
    await page.waitForLoadState('load');
    await page.waitForTimeout(300);
    await page.keyboard.press('Tab');
    expect(await inDialog()).toBe(true);
  });

  it('identify applies only a whole choice: a purpose the person never answered is asked', async () => {
    t.site.state.identify = { decisions: { analytics: true }, decidedAt: new Date().toISOString() };
    await page.goto(t.site.page({ config: testConfig(t.site.endpoint) }));
    await dialog(page).waitFor();
    await page.evaluate(() => window.assent!.identify('subj-token-partial'));
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => window.assent!.get().decided)).toBe(false);
    expect(await dialog(page).count()).toBe(1);
    expect(await ranLog()).toEqual([]);
  });

  it('keeps the cookies of a vendor that a purpose still granted also uses', async () => {
    const shared = testConfig(t.site.endpoint);
    // the analytics vendor serves marketing too
    shared.purposes[2].vendors.push(shared.purposes[1].vendors[0]);
    await page.goto(t.site.page({ config: shared }));
    await context.addCookies(['_ga', '_fbp'].map((name) => ({ name, value: '1', url: `${t.site.origin}/` })));
    await page.evaluate(() => window.assent!.set({ analytics: true }));
    await page.waitForTimeout(200);
    expect((await context.cookies()).map((c) => c.name).sort()).toEqual(['_ga', 'assent_consent']);
  });

  it('identify does not apply a choice older than the property keeps one', async () => {
    t.site.state.identify = {
      decisions: { analytics: true, marketing: true },
      decidedAt: new Date(Date.now() - 200 * DAY_MS).toISOString(),
    };
    await page.goto(t.site.page({ config: testConfig(t.site.endpoint) }));
    await dialog(page).waitFor();
    await page.evaluate(() => window.assent!.identify('subj-token-old'));
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => window.assent!.get().decided)).toBe(false);
    expect(await dialog(page).count()).toBe(1);
    expect(await ranLog()).toEqual([]);
  });
});
