/** Vendor cookie patterns: an exact name, or `prefix*`. */
export const cookieMatches = (name: string, pattern: string): boolean =>
  pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

/** The domains a cookie of `host` may have been set on (`a.b.example.com` -> itself, b.example.com, example.com). */
export function parentDomains(host: string): string[] {
  if (/^[\d.]+$|:/.test(host)) return [];
  const parts = host.split('.');
  return parts.slice(0, -1).map((_, i) => parts.slice(i).join('.'));
}
