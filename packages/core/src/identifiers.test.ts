import { describe, expect, it } from 'vitest';
import { normalizeIdentifier } from './identifiers.ts';

describe('normalizeIdentifier', () => {
  it('lower-cases and trims emails, and puts phones in E.164', () => {
    expect(normalizeIdentifier({ type: 'email', value: '  Ana@Example.COM ' })).toEqual({
      type: 'email',
      value: 'ana@example.com',
    });
    expect(normalizeIdentifier({ type: 'phone', value: '+33 6 12 34 56 78' })).toEqual({
      type: 'phone',
      value: '+33612345678',
    });
  });

  it('holds the 320-character limit for the stored, lower-cased value', () => {
    // "İ" lower-cases to two code units: 300 of them become 600
    const grows = `${'İ'.repeat(300)}@x.io`;
    expect(grows.length).toBeLessThanOrEqual(320);
    expect(() => normalizeIdentifier({ type: 'email', value: grows })).toThrow(/not valid/);
  });

  it('refuses an unpaired surrogate, and keeps a pair (an emoji)', () => {
    expect(() => normalizeIdentifier({ type: 'external:crm', value: 'a\ud800b' })).toThrow(
      /unpaired surrogate/,
    );
    expect(() => normalizeIdentifier({ type: 'external:crm', value: 'a\udc00' })).toThrow(
      /unpaired surrogate/,
    );
    expect(normalizeIdentifier({ type: 'external:crm', value: 'a\ud83d\ude00' }).value).toBe('a\ud83d\ude00');
  });

  it('refuses U+0000, which PostgreSQL cannot store', () => {
    expect(() => normalizeIdentifier({ type: 'external:crm', value: 'a\u0000b' })).toThrow(/U\+0000/);
  });
});
