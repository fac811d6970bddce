import canonicalize from 'canonicalize';

/** RFC 8785 canonical JSON: the byte form that ledger hashes and signatures are computed over. */
export function canonicalJson(value: unknown): string {
  const out = (canonicalize as unknown as (v: unknown) => string | undefined)(value);
  if (out === undefined) throw new TypeError('value cannot be canonicalised');
  return out;
}
