import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dialog, launchChromium, until } from './support/browser.ts';
import { testConfig } from './support/config.ts';
import { type Site, startSite } from './support/site.ts';

const artifacts = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
let site: Site;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
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

async function open(viewport = { width: 1280, height: 800 }) {
  context = await browser.newContext({ viewport });
  page = await context.newPage();
}

async function axeViolations() {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axe.source });
  const result = await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }),
  );
  return result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => n.html) }));
}

const focused = () =>
  page.evaluate(() => {
    const a = document.activeElement as HTMLElement;
    return a.getAttribute('aria-label') || a.id || a.textContent?.trim() || a.tagName;
  });

/** Presses Tab until the focused element matches, failing after a full loop. */
async function tabTo(name: string) {
  for (let i = 0; i < 20; i++) {
    if ((await focused()) === name) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`could not Tab to ${name}, focus is on ${await focused()}`);
}

describe('accessibility', () => {
  it('axe finds no violations in either layer, with default and brand colours', async () => {
    const themes: Record<string, string>[] = [
      {},
      { primary: '#ffd400', background: '#111827', text: '#f9fafb' },
    ];
    for (const theme of themes) {
      await open();
      await page.goto(site.page({ config: testConfig(site.endpoint, { theme }) }));
      await dialog(page).waitFor();
      expect(await axeViolations()).toEqual([]);
      await dialog(page).getByRole('button', { name: 'Customize' }).click();
      await dialog(page).getByRole('switch').first().waitFor();
      expect(await axeViolations()).toEqual([]);
      await context.close();
    }
  });

  it('a keyboard-only run goes through both layers, saves a custom choice and returns focus', async () => {
    await open();
    await page.goto(site.page({ config: testConfig(site.endpoint) }));
    await dialog(page).waitFor();
    // the browser applies `autofocus` in its next rendering update
    await expect.poll(focused).toBe('Close without accepting');
    // Focus stays trapped: Shift+Tab from the first control wraps to the last.
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('Privacy policy');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Close without accepting');
    await tabTo('Customize');
    await page.keyboard.press('Enter');
    await dialog(page).getByRole('switch').first().waitFor();
    expect(await focused()).toBe('Close without accepting');
    await tabTo('assent-1'); // Audience measurement
    await page.keyboard.press('Space');
    await tabTo('Save my choices');
    await page.keyboard.press('Enter');
    await until(() => site.consents.length === 1);
    expect(site.consents[0].body).toMatchObject({
      interaction: 'custom',
      decisions: { analytics: true, marketing: false },
    });
    expect(await dialog(page).count()).toBe(0);

    // Re-open from the page: the stored choice is shown, Escape closes, focus goes back.
    await page.focus('#page-button');
    await page.keyboard.press('Enter');
    await dialog(page).waitFor();
    await tabTo('Customize');
    await page.keyboard.press('Enter');
    expect(await dialog(page).getByRole('switch', { name: 'Audience measurement' }).isChecked()).toBe(true);
    expect(await dialog(page).getByRole('switch', { name: 'Advertising' }).isChecked()).toBe(false);
    const necessary = dialog(page).getByRole('switch', { name: 'Strictly necessary' });
    expect([await necessary.isChecked(), await necessary.isDisabled()]).toEqual([true, true]);
    await page.keyboard.press('Escape');
    expect(await dialog(page).count()).toBe(0);
    expect(await focused()).toBe('page-button');
    expect(site.consents).toHaveLength(1);
  });

  it('screenshots both layers at 1280x800 and 320x640, with no horizontal scroll on a phone', async () => {
    for (const [w, hgt] of [
      [1280, 800],
      [320, 640],
    ]) {
      await open({ width: w, height: hgt });
      await page.goto(site.page({ config: testConfig(site.endpoint) }));
      await dialog(page).waitFor();
      for (const layer of ['first', 'second']) {
        if (layer === 'second') await dialog(page).getByRole('button', { name: 'Customize' }).click();
        const file = `${artifacts}banner-${layer}-${w}x${hgt}.png`;
        await page.screenshot({ path: file });
        expect(existsSync(file) && statSync(file).size > 1000).toBe(true);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow).toBeLessThanOrEqual(0);
        const box = await dialog(page).boundingBox();
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(w);
      }
      await context.close();
    }
  });
});

describe('cookie wall', () => {
  it('covers the page until a choice; reject records the refusal and leaves for the alternative', async () => {
    await open();
    const config = testConfig(site.endpoint, {
      cookieWall: {
        alternativeUrl: `${site.origin}/alternative.html`,
        alternativeLabel: 'Subscribe instead',
      },
    });
    await page.goto(site.page({ config }));
    await dialog(page).waitFor();
    expect(await dialog(page).getByRole('button', { name: 'Close without accepting' }).count()).toBe(0);
    const covered = await page.evaluate(() =>
      [
        [5, 5],
        [640, 400],
        [1270, 790],
      ].every(([x, y]) => document.elementFromPoint(x, y)?.closest('#assent')),
    );
    expect(covered).toBe(true);
    await page.keyboard.press('Escape');
    expect(await dialog(page).count()).toBe(1);
    await page.getByRole('button', { name: 'Subscribe instead' }).click();
    await page.waitForURL(/alternative\.html$/);
    await until(() => site.consents.length === 1);
    expect(site.consents[0].body).toMatchObject({
      interaction: 'reject_all',
      decisions: { analytics: false },
    });
  });
});
