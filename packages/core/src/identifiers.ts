import { hash } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { AssentError } from './errors.ts';

export const identifierTypes = ['email', 'phone', 'customer_id', 'anonymous_id', 'device_id'] as const;
export type IdentifierType = (typeof identifierTypes)[number] | `external:${string}`;

export interface Identifier {
  type: IdentifierType;
  value: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const EXTERNAL = /^external:[a-z0-9][a-z0-9_.-]{0,62}$/;

export function isIdentifierType(type: string): type is IdentifierType {
  return (identifierTypes as readonly string[]).includes(type) || EXTERNAL.test(type);
}

/** A UTF-16 surrogate that is not half of a pair (with the u flag a pair is one code point). */
const LONE_SURROGATE = /\p{Surrogate}/u;
/** Outside what an identifier may be: empty, over 320 code units, or holding U+0000. */
const outOfBounds = (v: string) => v.length === 0 || v.length > 320 || v.includes('\u0000');

/**
 * Normalises an identifier so that one person is found whatever the spelling:
 * emails trimmed and lower-cased, phones in E.164. Throws `invalid_identifier` otherwise.
 */
export function normalizeIdentifier(
  input: { type: string; value: string },
  defaultCountry?: string,
): Identifier {
  const { type } = input;
  const raw = String(input.value ?? '').trim();
  if (!isIdentifierType(type)) {
    throw new AssentError(
      'invalid_identifier',
      `Unknown identifier type "${type}"; use one of ${identifierTypes.join(', ')} or external:<system>`,
    );
  }
  // U+0000 and an unpaired surrogate are not text PostgreSQL can store (a driver would turn the
  // surrogate into U+FFFD, so two different values would name one person)
  if (outOfBounds(raw) || LONE_SURROGATE.test(raw)) {
    throw new AssentError(
      'invalid_identifier',
      `The ${type} identifier must be 1 to 320 characters of text, with no U+0000 or unpaired surrogate`,
    );
  }
  if (type === 'email') {
    // lower-casing can lengthen a string ("İ" becomes two code units): the limit holds for what is stored
    const value = raw.toLowerCase();
    if (outOfBounds(value) || !EMAIL.test(value))
      throw new AssentError('invalid_identifier', 'The email address is not valid');
    return { type, value };
  }
  if (type === 'phone') {
    const phone = parsePhoneNumberFromString(
      raw,
      (defaultCountry as Parameters<typeof parsePhoneNumberFromString>[1]) ?? undefined,
    );
    if (!phone?.isValid()) {
      throw new AssentError(
        'invalid_identifier',
        'The phone number is not valid; give it in international format, e.g. +33 6 12 34 56 78',
      );
    }
    return { type, value: phone.number };
  }
  return { type, value: raw };
}

/** `email:ana@example.com` -> identifier (the first colon after a known type splits). */
export function parseIdentifierRef(ref: string): { type: string; value: string } {
  const m = /^(external:[^:]+|[a-z_]+):(.*)$/s.exec(ref);
  if (!m)
    throw new AssentError(
      'invalid_identifier',
      'Write the identifier as type:value, e.g. email:ana@example.com',
    );
  return { type: m[1], value: m[2] };
}

/** The hash under which an identifier is kept on suppression lists: it survives erasure of the subject. */
export function identifierHash(id: Identifier): string {
  return hash('sha256', `${id.type}:${id.value}`, 'hex');
}

/** Orders strings by UTF-16 code units (as `<` does), the same in every locale. */
export const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Orders identifiers by type, then value (by UTF-16 code units): one order wherever they are written. */
export const compareIdentifiers = (a: { type: string; value: string }, b: { type: string; value: string }) =>
  byCodeUnits(a.type, b.type) || byCodeUnits(a.value, b.value);
