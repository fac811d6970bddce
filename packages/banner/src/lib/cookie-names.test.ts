import { describe, expect, it } from 'vitest';
import { cookieMatches, parentDomains } from './cookie-names.ts';

describe('vendor cookie names', () => {
  it('matches exact names and prefix* patterns', () => {
    expect(cookieMatches('_ga', '_ga')).toBe(true);
    expect(cookieMatches('_ga_ABC123', '_ga')).toBe(false);
    expect(cookieMatches('_ga_ABC123', '_ga_*')).toBe(true);
    expect(cookieMatches('_gat', '_ga_*')).toBe(false);
  });
  it('lists the host and each parent domain, never the public suffix alone', () => {
    expect(parentDomains('a.b.example.com')).toEqual(['a.b.example.com', 'b.example.com', 'example.com']);
    expect(parentDomains('example.com')).toEqual(['example.com']);
    expect(parentDomains('localhost')).toEqual([]);
    expect(parentDomains('127.0.0.1')).toEqual([]);
    expect(parentDomains('::1')).toEqual([]);
  });
});
