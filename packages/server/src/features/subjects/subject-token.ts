import { AssentError, type TokenAudience } from '@assent/core';
import type { Signer } from '../../crypto/signer.ts';

/** What a subject token (`POST /v1/subject-tokens`) says, once verified. */
export interface SubjectTokenClaims {
  subjectId: string;
  workspaceId: string;
}

/**
 * Verifies a subject token's signature, audience, workspace and expiry. Any failure is the same
 * 401, so a caller learns nothing about why a forged or stale token was refused.
 */
export async function verifySubjectToken(
  signer: Signer,
  token: string,
  expected: { audience: TokenAudience; workspaceId: string },
): Promise<SubjectTokenClaims> {
  let claims: Record<string, unknown>;
  try {
    claims = (await signer.verify(token)) as Record<string, unknown>;
  } catch {
    throw new AssentError('invalid_token', 'The subject token is invalid or expired');
  }
  const now = Math.floor(Date.now() / 1000);
  if (
    claims.aud !== expected.audience ||
    claims.ws !== expected.workspaceId ||
    typeof claims.sub !== 'string' ||
    typeof claims.exp !== 'number' ||
    claims.exp < now
  ) {
    throw new AssentError('invalid_token', 'The subject token is invalid or expired');
  }
  return { subjectId: claims.sub, workspaceId: claims.ws as string };
}
