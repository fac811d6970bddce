import { isIP } from 'node:net';

function expandIpv6(ip: string): number[] | null {
  const [head, tail] = ip.split('::');
  if (ip.split('::').length > 2) return null;
  const part = (s: string) => (s ? s.split(':') : []);
  let left = part(head);
  let right = tail === undefined ? [] : part(tail);
  // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups
  const v4From = (groups: string[]) => {
    const last = groups[groups.length - 1];
    if (last?.includes('.')) {
      const o = last.split('.').map(Number);
      groups.splice(-1, 1, ((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16));
    }
  };
  if (tail === undefined) v4From(left);
  else v4From(right);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 0) return null;
  if (tail !== undefined) left = [...left, ...Array(missing).fill('0')];
  right = tail === undefined ? [] : right;
  return [...left, ...right].map((g) => Number.parseInt(g, 16));
}

/**
 * Truncates an IP address before it is stored: IPv4 to its /24, IPv6 to its /48.
 * Returns null for something that is not an IP address.
 */
export function truncateIp(ip: string): string | null {
  const clean = ip.trim().replace(/^\[|\]$/g, '');
  const kind = isIP(clean);
  if (kind === 4) return `${clean.split('.').slice(0, 3).join('.')}.0`;
  if (kind === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(clean);
    if (mapped) return truncateIp(mapped[1]);
    const groups = expandIpv6(clean.split('%')[0]);
    if (!groups) return null;
    return `${groups
      .slice(0, 3)
      .map((g) => g.toString(16))
      .join(':')}::`;
  }
  return null;
}

/**
 * What a rate limit counts by: an IPv4 address (also one a dual-stack socket reports as
 * `::ffff:a.b.c.d`), or an IPv6 /64, the block one host or household usually holds.
 */
export function rateLimitKey(ip: string): string {
  const clean = ip.trim().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(clean);
  if (mapped) return mapped[1];
  if (isIP(clean) !== 6) return clean;
  const groups = expandIpv6(clean.split('%')[0]);
  return groups
    ? `${groups
        .slice(0, 4)
        .map((g) => g.toString(16))
        .join(':')}::/64`
    : clean;
}
