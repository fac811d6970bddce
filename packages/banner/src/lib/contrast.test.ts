import { describe, expect, it } from 'vitest';
import { readableOn } from './contrast.ts';

describe('readableOn', () => {
  it('picks white on dark and black on light brand colours', () => {
    expect(readableOn('#1d4ed8')).toBe('#fff');
    expect(readableOn('#000')).toBe('#fff');
    expect(readableOn('#ffd400')).toBe('#000');
    expect(readableOn('#FFFFFF')).toBe('#000');
  });
  it('defaults to white for colours it cannot read', () => {
    expect(readableOn('rebeccapurple')).toBe('#fff');
  });
});
