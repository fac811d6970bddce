import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, calculateJwkThumbprint, compactVerify, exportJWK, type JWK } from 'jose';

export interface Signer {
  kid: string;
  publicJwk: JWK;
  /** A compact JWS (EdDSA) over the JSON payload. */
  sign(payload: object, type?: string): Promise<string>;
  /** Verifies a JWS made by this key and returns its payload; throws when it does not verify. */
  verify(jws: string): Promise<unknown>;
}

/**
 * The Ed25519 key that signs receipts and checkpoints: given as PEM by configuration
 * (required when several servers share a database), else generated once and kept in dataDir.
 */
export async function loadSigner(opts: { pem?: string | null; dataDir: string }): Promise<Signer> {
  let privateKey: KeyObject;
  if (opts.pem) {
    privateKey = createPrivateKey(opts.pem);
  } else {
    const file = join(opts.dataDir, 'signing-key.pem');
    if (existsSync(file)) {
      privateKey = createPrivateKey(readFileSync(file, 'utf8'));
    } else {
      mkdirSync(opts.dataDir, { recursive: true });
      privateKey = generateKeyPairSync('ed25519').privateKey;
      writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    }
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error('The signing key must be an Ed25519 private key');
  const publicKey = createPublicKey(privateKey);
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const publicJwk: JWK = { ...jwk, kid, alg: 'EdDSA', use: 'sig' };
  return {
    kid,
    publicJwk,
    async sign(payload, type = 'JWT') {
      return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: type })
        .sign(privateKey);
    },
    async verify(jws) {
      const { payload } = await compactVerify(jws, publicKey, { algorithms: ['EdDSA'] });
      return JSON.parse(new TextDecoder().decode(payload));
    },
  };
}
