/**
 * Bundles assent-banner.js and assent-headless.js in memory (the server serves them from there) and,
 * run as a script, writes them to dist/ and fails when the banner is over its gzip budget.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Plugin, transform } from 'esbuild';

/** The banner's budget: JS and CSS together, gzip bytes. */
export const BANNER_BUDGET_BYTES = 8 * 1024;

export interface BannerBundles {
  banner: string;
  headless: string;
  /** gzip bytes of each bundle */
  sizes: { banner: number; headless: number };
}

// CSS is written readable in ui/*.css and shipped as a minified string the UI puts in a <style>.
const cssAsString: Plugin = {
  name: 'css-string',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      const { code } = await transform(readFileSync(args.path, 'utf8'), { loader: 'css', minify: true });
      return { contents: `export default ${JSON.stringify(code.trim())}`, loader: 'js' };
    });
  },
};

async function bundle(entry: string): Promise<string> {
  const options: BuildOptions = {
    entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    legalComments: 'none',
    // V8's explicit compile hint (Chrome 136+): nearly every function runs during the page's load, so
    // compile them all while the file streams in, off the main thread, instead of one by one on it.
    // It must be the file's first line: a config prepended in front of it turns it off.
    banner: { js: '//# allFunctionsCalledOnLoad' },
    write: false,
    plugins: [cssAsString],
  };
  const result = await build(options);
  return result.outputFiles![0].text;
}

/**
 * A bundle with a configuration in front, as one script (what `/c/{key}/banner.js` serves): the
 * compile hint stays the file's first line, since Chrome reads it there only, and the config goes
 * right after it as a statement ending with its own semicolon.
 */
export function withConfig(bundle: string, configJson: string): string {
  const hint = bundle.startsWith('//#') ? bundle.slice(0, bundle.indexOf('\n') + 1) : '';
  return `${hint}window.assentConfig=${configJson};\n${bundle.slice(hint.length)}`;
}

export const gzipSize = (code: string): number => gzipSync(code).length;

export async function buildBanner(): Promise<BannerBundles> {
  const [banner, headless] = await Promise.all([bundle('./banner.ts'), bundle('./headless.ts')]);
  return { banner, headless, sizes: { banner: gzipSize(banner), headless: gzipSize(headless) } };
}

async function main(): Promise<void> {
  const { banner, headless, sizes } = await buildBanner();
  const dist = fileURLToPath(new URL('../dist/', import.meta.url));
  mkdirSync(dist, { recursive: true });
  writeFileSync(`${dist}assent-banner.js`, banner);
  writeFileSync(`${dist}assent-headless.js`, headless);
  console.log(
    `assent-banner.js    ${banner.length} B, ${sizes.banner} B gzip (budget ${BANNER_BUDGET_BYTES})`,
  );
  console.log(`assent-headless.js  ${headless.length} B, ${sizes.headless} B gzip`);
  if (sizes.banner > BANNER_BUDGET_BYTES) {
    console.error(`assent-banner.js is over its budget by ${sizes.banner - BANNER_BUDGET_BYTES} B gzip`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
