/**
 * Reduces notice HTML to what the banner may insert as is: a few text-level tags and links to
 * https or mailto. Everything else is escaped as text, so an editor's mistake (or a hostile
 * edit) cannot run script in every visitor's page.
 */
const ALLOWED = new Set(['p', 'br', 'strong', 'em', 'b', 'i', 'u', 'ul', 'ol', 'li', 'a', 'span']);
const VOID = new Set(['br']);
const TAG =
  /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*\/?>/g;
const HREF = /(?:^|\s)href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/i;
const ENTITY = /^&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/;

const escapeText = (text: string) =>
  text.replace(/[<>"]|&/g, (c, offset: number) => {
    if (c === '&') return ENTITY.test(text.slice(offset)) ? '&' : '&amp;';
    return c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&quot;';
  });

/** A numeric character reference; beyond Unicode (or a surrogate) it is the replacement character. */
const codePoint = (n: number) =>
  n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff) ? '\ufffd' : String.fromCodePoint(n);

function decodeBasicEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]{1,8});/gi, (_, h: string) => codePoint(Number.parseInt(h, 16)))
    .replace(/&#([0-9]{1,10});/g, (_, d: string) => codePoint(Number(d)))
    .replace(
      /&(amp|quot|apos|lt|gt);/g,
      (_, n: string) => ({ amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' })[n] ?? '',
    );
}

function safeHref(raw: string): string | null {
  const href = decodeBasicEntities(raw).trim();
  if (!/^(https:\/\/|mailto:)/i.test(href)) return null;
  try {
    return new URL(href).href;
  } catch {
    return null;
  }
}

export function sanitizeNoticeHtml(html: string): string {
  let out = '';
  let last = 0;
  const open: string[] = [];
  for (const m of html.matchAll(TAG)) {
    out += escapeText(html.slice(last, m.index));
    last = (m.index ?? 0) + m[0].length;
    const closing = m[1] === '/';
    const name = m[2].toLowerCase();
    if (!ALLOWED.has(name)) continue; // the tag goes, its text stays
    if (closing) {
      const at = open.lastIndexOf(name);
      if (at < 0) continue;
      while (open.length > at) out += `</${open.pop()}>`;
      continue;
    }
    if (name === 'a') {
      const h = HREF.exec(m[3]);
      const href = h ? safeHref(h[1] ?? h[2] ?? h[3] ?? '') : null;
      out += href ? `<a href="${escapeText(href)}" rel="noopener noreferrer" target="_blank">` : '<a>';
    } else out += `<${name}>`;
    if (!VOID.has(name)) open.push(name);
  }
  out += escapeText(html.slice(last));
  while (open.length) out += `</${open.pop()}>`;
  return out;
}
