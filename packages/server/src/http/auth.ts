import { AssentError, type Role } from '@assent/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKey, ApiKeyStore } from '../features/api-keys/api-key-store.ts';
import { allow, type Permission } from './roles.ts';

export interface AuthContext {
  keyId: string;
  workspaceId: string;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
  interface FastifyContextConfig {
    /** What the caller's key must be allowed to do; required on every /v1 route. */
    permission?: Permission;
  }
}

const CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;

/**
 * Bearer-key authentication for /v1. Keys are looked up by hash and cached for a few
 * seconds, so a hot path such as /v1/check does not pay a database round trip per request.
 */
export function registerAuth(app: FastifyInstance, keys: ApiKeyStore) {
  const cache = new Map<string, { key: ApiKey | null; until: number }>();

  /** The key for a secret: from the cache when it is fresh (no promise then), else from the store. */
  function lookup(secret: string): ApiKey | null | Promise<ApiKey | null> {
    const hit = cache.get(secret);
    const now = Date.now();
    if (hit && hit.until > now) return hit.key;
    return keys.findBySecret(secret).then((key) => {
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(secret, { key, until: now + CACHE_TTL_MS });
      return key;
    });
  }

  function admit(req: FastifyRequest, key: ApiKey | null) {
    if (!key) throw new AssentError('unauthorized', 'The API key is unknown or revoked');
    req.auth = { keyId: key.id, workspaceId: key.workspaceId, role: key.role };
    const permission = req.routeOptions.config?.permission;
    const roles: readonly Role[] = permission ? allow[permission] : [];
    if (!roles.includes(key.role)) {
      throw new AssentError('forbidden', `A key with role "${key.role}" may not do this`);
    }
  }

  app.decorateRequest('auth', null);
  app.decorate('forgetApiKeys', () => cache.clear());

  // Before the body is read or validated: a caller without a valid key learns nothing of the
  // schemas and costs no parsing. A callback hook: a cached key (the usual case) is admitted
  // without a promise or a turn.
  app.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
    if (req.is404 || (!req.url.startsWith('/v1/') && req.url !== '/v1')) return done();
    try {
      const header = req.headers.authorization;
      const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!m) throw new AssentError('unauthorized', 'Send the API key as "Authorization: Bearer <key>"');
      const key = lookup(m[1]);
      if (!(key instanceof Promise)) {
        admit(req, key);
        return done();
      }
      key.then(
        (found) => {
          try {
            admit(req, found);
            done();
          } catch (err) {
            done(err as Error);
          }
        },
        (err: Error) => done(err),
      );
    } catch (err) {
      done(err as Error);
    }
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Drops cached key lookups, e.g. after a key is revoked. */
    forgetApiKeys(): void;
  }
}

/** The caller's context on an authenticated route. */
export function authOf(req: FastifyRequest): AuthContext {
  if (!req.auth) throw new AssentError('unauthorized');
  return req.auth;
}
