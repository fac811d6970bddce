import { describe, expect, it } from 'vitest';
import { rateLimitKey, truncateIp } from './ip.ts';

describe('IP addresses', () => {
  it('truncates for storage: IPv4 to its /24, IPv6 to its /48, IPv4-mapped as IPv4', () => {
    expect(truncateIp('203.0.113.77')).toBe('203.0.113.0');
    expect(truncateIp('2001:db8:abcd:12:1:2:3:4')).toBe('2001:db8:abcd::');
    expect(truncateIp('::ffff:203.0.113.77')).toBe('203.0.113.0');
    expect(truncateIp('not an ip')).toBeNull();
  });

  it('counts rate limits per IPv4 address, mapped ones included, and per IPv6 /64', () => {
    expect(rateLimitKey('203.0.113.77')).toBe('203.0.113.77');
    // two neighbours behind a dual-stack listener keep their own budgets
    expect(rateLimitKey('::ffff:203.0.113.77')).toBe('203.0.113.77');
    expect(rateLimitKey('::ffff:203.0.113.78')).toBe('203.0.113.78');
    expect(rateLimitKey('2001:db8:abcd:12:1:2:3:4')).toBe('2001:db8:abcd:12::/64');
    expect(rateLimitKey('2001:db8:abcd:12::99')).toBe('2001:db8:abcd:12::/64');
    expect(rateLimitKey('2001:db8:abcd:13::1')).not.toBe(rateLimitKey('2001:db8:abcd:12::1'));
  });
});
