import { createHash } from 'node:crypto';
import { type BannerBundles, buildBanner } from '@assent/banner/build';

export interface BannerAssets extends BannerBundles {
  /** Content hashes that version the static URLs `/assets/assent-banner.{hash}.js`. */
  hashes: { banner: string; headless: string };
}

const hash = (code: string) => createHash('sha256').update(code).digest('hex').slice(0, 12);

/** Bundles the banner once per process (about 0.1 s), on first use. */
export function createBannerAssets(): () => Promise<BannerAssets> {
  let built: Promise<BannerAssets> | null = null;
  return () => {
    built ??= buildBanner().then((b) => ({
      ...b,
      hashes: { banner: hash(b.banner), headless: hash(b.headless) },
    }));
    return built;
  };
}
