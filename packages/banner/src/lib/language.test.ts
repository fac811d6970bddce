import { describe, expect, it } from 'vitest';
import { pickLanguage } from './language.ts';

describe('pickLanguage', () => {
  const have = ['en', 'fr', 'pt-BR'];
  it('takes the first preferred language the config has, exactly', () => {
    expect(pickLanguage(['de', 'fr', 'en'], have, 'en')).toBe('fr');
    expect(pickLanguage(['PT-br'], have, 'en')).toBe('pt-BR');
  });
  it('matches by primary subtag either way', () => {
    expect(pickLanguage(['fr-CA'], have, 'en')).toBe('fr');
    expect(pickLanguage(['pt'], have, 'en')).toBe('pt-BR');
  });
  it('keeps the order of preference over exactness', () => {
    expect(pickLanguage(['fr-CA', 'en'], have, 'en')).toBe('fr');
  });
  it('falls back to the default language', () => {
    expect(pickLanguage(['de', 'ja'], have, 'en')).toBe('en');
    expect(pickLanguage([], have, 'fr')).toBe('fr');
  });
});
