import { cookieMatches, parentDomains } from '../lib/cookie-names.ts';

// Storage can throw (blocked cookies, private modes, sandboxed frames): the banner must still work.
export function lsGet<T>(key: string, session?: boolean): T | null {
  try {
    return JSON.parse((session ? sessionStorage : localStorage).getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

export function lsSet(key: string, value: unknown, session?: boolean): void {
  try {
    (session ? sessionStorage : localStorage).setItem(key, JSON.stringify(value));
  } catch {}
}

export function readCookie(name: string): string | null {
  for (const c of document.cookie.split('; ')) if (c.startsWith(`${name}=`)) return c.slice(name.length + 1);
  return null;
}

export function writeCookie(name: string, value: string, days: number): void {
  const secure = location.protocol === 'https:' ? ';Secure' : '';
  // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is async and not in every browser
  document.cookie = `${name}=${value};path=/;max-age=${Math.round(days * 86400)};SameSite=Lax${secure}`;
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
