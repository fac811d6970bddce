import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { launchChromium } from './browser.ts';
import { type Site, startSite } from './site.ts';

export interface SiteAndBrowser {
  site: Site;
  browser: Browser;
  context: BrowserContext | undefined;
  /** The page of the last `open()`. */
  page: Page;
  /** A fresh browser context (no cookies, no storage) and a page in it. */
  open(options?: Parameters<Browser['newContext']>[0]): Promise<Page>;
}

/**
 * The test site and Chromium for one test file: started once, the site's records cleared and the
 * last test's browser context closed before each test.
 */
export function useSiteAndBrowser(): SiteAndBrowser {
  const t = {} as SiteAndBrowser;
  beforeAll(async () => {
    [t.site, t.browser] = await Promise.all([startSite(), launchChromium()]);
  });
  afterAll(async () => {
    await t.browser?.close();
    await t.site?.close();
  });
  beforeEach(async () => {
    t.site.reset();
    await t.context?.close();
    t.context = undefined;
  });
  t.open = async (options = {}) => {
    t.context = await t.browser.newContext(options);
    t.page = await t.context.newPage();
    return t.page;
  };
  return t;
}
