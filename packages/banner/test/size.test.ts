import { describe, expect, it } from 'vitest';
import { BANNER_BUDGET_BYTES, buildBanner } from '../src/build.ts';

describe('bundles', () => {
  it('the banner stays within its 8 KB gzip budget, CSS included', async () => {
    const { banner, headless, sizes } = await buildBanner();
    expect(BANNER_BUDGET_BYTES).toBe(8192);
    expect(sizes.banner).toBeLessThanOrEqual(BANNER_BUDGET_BYTES);
    expect(sizes.headless).toBeLessThan(sizes.banner);
    expect(banner).toContain('#assent');
    // The headless build carries no UI, and neither carries the server-side default labels.
    expect(headless).not.toContain('#assent');
    expect(banner + headless).not.toContain('Tout accepter');
  });
});
