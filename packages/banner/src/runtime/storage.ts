import { cookieMatches, parentDomains } from '../lib/cookie-names.ts';

// Storage can throw (blocked cookies, private modes, sandboxed frames): the banner must still work.
export function lsGet<T>(key: string): T | null {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

export function lsSet(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {}
}

/** The value of cookie `name` in `jar` (a `document.cookie` string, read once at start). */
export function readCookie(jar: string, name: string): string | null {
  for (const c of jar.split('; ')) if (c.startsWith(`${name}=`)) return c.slice(name.length + 1);
  return null;
}

/** Without `days`, a session cookie. */
export function writeCookie(name: string, value: string, days?: number): void {
  const secure = location.protocol === 'https:' ? ';Secure' : '';
  const age = days === undefined ? '' : `;max-age=${Math.round(days * 86400)}`;
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is async and not in every browser
  document.cookie = `${name}=${value};path=/${age};SameSite=Lax${secure}`;
}

/** Deletes cookies matching the patterns on path=/ for this host and each parent domain. */
export function deleteCookies(patterns: string[]): void {
  for (const c of document.cookie.split('; ')) {
    const name = c.split('=')[0];
    if (!patterns.some((p) => cookieMatches(name, p))) continue;
    for (const d of ['', ...parentDomains(location.hostname)]) {
      // biome-ignore lint/suspicious/noDocumentCookie: as above
      document.cookie = `${name}=;path=/;max-age=0${d && `;domain=${d}`}`;
    }
  }
}
