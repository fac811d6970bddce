import { randomBytes } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { settleUnreadBody } from './body-drain.ts';
import { arrivedLingering, cutLingering, lingerSet } from './lingering-close.ts';
import { causeOf, problemFromError, sendProblem, toProblem } from './problem.ts';
import { createValidatorCompiler } from './validators.ts';

export interface HttpOptions {
  bodyLimit: number;
  logger: FastifyServerOptions['logger'];
  publicUrl: string;
  trustProxy?: false | number | string;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/;

/**
 * Request ids: unique, not secret. A random prefix per process and a counter cost nothing per
 * request, where a UUID draws random bytes each time.
 */
function requestIds(): () => string {
  const prefix = `${randomBytes(6).toString('base64url')}-`;
  let n = 0;
  return () => prefix + (n++).toString(36).padStart(6, '0');
}

/** The Fastify instance with the conventions of API.md: problem+json, request ids, OpenAPI. */
export async function createHttpApp(opts: HttpOptions) {
  const nextRequestId = requestIds();
  const app = Fastify({
    logger: opts.logger,
    bodyLimit: opts.bodyLimit,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : nextRequestId();
    },
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: true,
    trustProxy: (opts.trustProxy ?? false) as FastifyServerOptions['trustProxy'],
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(createValidatorCompiler());
  // while draining, answers close their keep-alive connection so the server can finish closing
  let closing = false;
  const lingering = lingerSet();
  app.addHook('preClose', async () => {
    closing = true;
    app.server.closeIdleConnections();
    cutLingering(lingering);
  });
  // the first hook: a request on a connection closing as it lingers never runs; the connection is cut
  app.addHook('onRequest', (req, _reply, done) => {
    if (!arrivedLingering(req.raw)) done();
  });
  // callback hooks: on the hot path an async hook costs a promise and a turn per request
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('x-request-id', req.id);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });

  app.setErrorHandler((err, req, reply) => {
    const { problem, internal } = problemFromError(err, {
      method: req.method,
      idempotencyKey: req.headers['idempotency-key'] !== undefined,
    });
    if (internal) req.log.error({ err }, 'unhandled error');
    else if (problem.status >= 500) {
      req.log.warn({ code: problem.code, cause: causeOf(err) }, problem.detail);
    }
    if ((problem.status === 429 || problem.status === 503) && !reply.hasHeader('retry-after')) {
      reply.header('retry-after', '1');
    }
    settleUnreadBody(req, reply, lingering);
    return sendProblem(req, reply, problem);
  });
  app.setNotFoundHandler((req, reply) => {
    settleUnreadBody(req, reply, lingering);
    return sendProblem(req, reply, toProblem('not_found', `No route ${req.method} ${req.url.split('?')[0]}`));
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Assent API',
        version: '1',
        description:
          'Consent and preference management: one append-only, tamper-evident ledger of every permission, and one decision every surface uses. Errors are RFC 9457 problem+json; lists are cursor-paginated; creates accept an Idempotency-Key.',
      },
      servers: [{ url: opts.publicUrl }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A secret API key: `assent_sk_...`' },
        },
      },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'service', description: 'Health, readiness and published keys' },
        { name: 'workspaces', description: 'Workspaces and API keys' },
        { name: 'catalog', description: 'Brands, properties, purposes, vendors, topics and notices' },
        { name: 'subjects', description: 'People and their identifiers' },
        { name: 'consents', description: 'The consent ledger' },
        { name: 'decision', description: 'May we? The one decision' },
        { name: 'audit', description: 'Who did what' },
        {
          name: 'collect',
          description:
            "The Collect API of the browser banner: no API key; a property's publishable key, CORS for its domains, rate limits per IP",
        },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

export type HttpApp = Awaited<ReturnType<typeof createHttpApp>>;
