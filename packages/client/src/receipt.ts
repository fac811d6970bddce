import type { ConsentReceipt, Jwk, Jwks } from './types.ts';

/** The receipt is not a valid JWS signed by one of the keys given. */
export class InvalidReceiptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidReceiptError';
  }
}

function base64urlBytes(s: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new InvalidReceiptError('The receipt is not base64url encoded');
  const b64 = s.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function jsonPart(s: string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(new TextDecoder().decode(base64urlBytes(s)));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidReceiptError(`The receipt's ${what} is not a JSON object`);
}

const isEd25519 = (k: Jwk) => k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string';

/**
 * Verifies a receipt (a compact JWS, EdDSA over Ed25519) against a key set such as the
 * server's `/.well-known/jwks.json`, with WebCrypto only, and returns its payload. Anyone
 * holding the receipt and the public keys can do this, without access to the server.
 */
export async function verifyReceipt(jws: string, jwks: Jwks): Promise<ConsentReceipt> {
  const parts = jws.trim().split('.');
  if (parts.length !== 3) throw new InvalidReceiptError('The receipt is not a compact JWS');
  const [h, p, sig] = parts;
  const header = jsonPart(h, 'header');
  if (header.alg !== 'EdDSA') throw new InvalidReceiptError(`Unexpected algorithm ${String(header.alg)}`);
  if (header.crit !== undefined) throw new InvalidReceiptError('The receipt has critical header parameters');
  const candidates = (jwks.keys ?? []).filter(
    (k) => isEd25519(k) && (header.kid === undefined || k.kid === header.kid),
  );
  if (candidates.length === 0) throw new InvalidReceiptError(`No Ed25519 key with kid ${String(header.kid)}`);
  const data = new TextEncoder().encode(`${h}.${p}`);
  const signature = base64urlBytes(sig);
  for (const k of candidates) {
    const key = await crypto.subtle.importKey(
      'jwk',
      { kty: 'OKP', crv: 'Ed25519', x: k.x },
      { name: 'Ed25519' },
      false,
      ['verify'],
    );
    if (await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, data)) {
      const payload = jsonPart(p, 'payload');
      if (typeof payload.consentReceiptID !== 'string')
        throw new InvalidReceiptError('The token is signed but is not a consent receipt');
      return payload as unknown as ConsentReceipt;
    }
  }
  throw new InvalidReceiptError('The signature does not verify');
}
