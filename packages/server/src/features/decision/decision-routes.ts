import { Readable } from 'node:stream';
import { AssentError, type DecisionRecord, isIdentifierType } from '@assent/core';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../app-deps.ts';
import type { HttpApp } from '../../http/app.ts';
import { authOf } from '../../http/auth.ts';
import { continueWhenAccepted, sendContinue } from '../../http/expect-continue.ts';
import { withIdleLimit } from '../../http/idle-limit.ts';
import {
  type AudienceFormat,
  type AudienceStats,
  filterAudience,
  MAX_AUDIENCE_BYTES,
} from './audience-filter.ts';
import { createAudiencePlaces } from './audience-places.ts';
import { AudienceQuery, Check, CheckAnswer, CheckBatch, CheckBatchAnswer } from './decision-schemas.ts';
import { type CheckResult, createDecisionService } from './decision-service.ts';
import { registerSuppressionRoutes } from './suppression-routes.ts';

const recordView = (r: DecisionRecord | null) =>
  r && {
    id: r.id,
    occurredAt: r.occurredAt,
    source: r.source,
    state: r.state,
    target: { type: r.targetType, key: r.targetKey },
    channel: r.channel || null,
    scope: { type: r.scopeType, key: r.scopeKey || null },
    expiresAt: r.expiresAt,
  };

const answer = (d: CheckResult) => ({
  allowed: d.allowed,
  reason: d.reason,
  explanation: d.explanation ?? '',
  record: recordView(d.record),
});

const formats: Record<string, AudienceFormat> = { 'text/csv': 'csv', 'application/x-ndjson': 'ndjson' };
const contentTypes: Record<AudienceFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** May we? The check API, its batch form, the audience filter and the suppression list. */
export function registerDecisionRoutes(app: HttpApp, deps: AppDeps) {
  const decisions = createDecisionService(deps.db.kysely, {
    read: (q) => deps.db.readRows(q),
    endReads: () => deps.db.endReads(),
  });
  const tags = ['decision'];

  app.post(
    '/v1/check',
    {
      config: { permission: 'check' },
      schema: {
        tags,
        summary: 'May we contact this subject (channel, topic) or process their data (purpose, vendor)?',
        description:
          'An unknown subject is not an error: it is answered as one with no records (`no_consent` for a consent-based use).',
        body: Check,
        response: { 200: CheckAnswer },
      },
    },
    async (req) => answer(await decisions.check(authOf(req).workspaceId, req.body)),
  );

  app.post(
    '/v1/check/batch',
    {
      config: { permission: 'check' },
      schema: {
        tags,
        summary: 'Up to 1,000 checks at once, answered in order',
        description:
          'Every check is validated first: one bad check fails the batch, naming it in `errors[].pointer`.',
        body: CheckBatch,
        response: { 200: CheckBatchAnswer },
      },
    },
    async (req) => {
      const results = await decisions.checkBatch(authOf(req).workspaceId, req.body.checks);
      return { results: results.map(answer) };
    },
  );

  // the audience filter reads its body as a stream: its own parsers and no body limit, in this scope only
  const places = createAudiencePlaces(deps.config.audienceFilters, deps.config.audienceIdleSeconds);
  continueWhenAccepted(app.server, '/v1/audiences/filter', Object.keys(formats));
  app.register(async (scope) => {
    scope.addContentTypeParser(Object.keys(formats), (_req, payload, done) => done(null, payload));
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/v1/audiences/filter',
      {
        bodyLimit: MAX_AUDIENCE_BYTES,
        config: { permission: 'check' },
        schema: {
          tags,
          summary: 'Filter a list of identifiers down to those we may contact (or process), streamed',
          description:
            'Body (at most `AUDIENCE_MAX_BYTES`, 1 GiB by default): one identifier per line, `text/csv` (the first column, RFC 4180 quoting, line breaks ' +
            'inside quotes included; a first line naming the column, `email`, `identifier` or the type such as `Customer ID`, is ' +
            'skipped) or `application/x-ndjson` (`{"type":"email","value":"..."}` or `{"email":"..."}`). A line longer ' +
            'than 65,536 characters is invalid. The answer is streamed in the same format: CSV `identifier` (with `include=denied`: ' +
            '`identifier,allowed,reason`), NDJSON `{"type","identifier","allowed","reason"}`. Invalid lines are reported ' +
            'as `{"line","error"}` (NDJSON) or skipped (CSV); the trailers `x-assent-lines`, `x-assent-allowed`, ' +
            '`x-assent-denied` and `x-assent-invalid` count them. An error before the first answer is a problem+json; ' +
            'after it, the stream is cut. A server process runs `AUDIENCE_FILTERS` filters at once (2 by default): ' +
            'another is answered 429 with `Retry-After`. An upload that sends nothing for `AUDIENCE_IDLE_SECONDS` ' +
            '(60) is cut: 408 before the first answer; a connection on which nothing moves either way for 2 s more ' +
            '(up to twice that while an answer waits to be read) is closed. With `Expect: 100-continue`, `100 Continue` ' +
            'is sent once the filter has its place: a refused one need not upload anything.',
          querystring: AudienceQuery,
          consumes: ['text/csv', 'application/x-ndjson'],
          produces: ['text/csv', 'application/x-ndjson'],
          response: {
            200: {
              description: 'The filtered audience, streamed in the format of the request.',
              content: {
                'text/csv': { schema: { type: 'string' } },
                'application/x-ndjson': { schema: { type: 'string' } },
              },
            },
          },
        },
      },
      async (req, reply) => {
        const essence = String(req.headers['content-type'] ?? '')
          .split(';')[0]
          .trim()
          .toLowerCase();
        const format = formats[essence];
        const body = req.body as unknown;
        if (!format || !(body instanceof Readable)) {
          throw new AssentError(
            'unsupported_media_type',
            'Send the audience as text/csv or application/x-ndjson, one identifier per line',
          );
        }
        const workspaceId = authOf(req).workspaceId;
        const { include, identifierType, ...spec } = req.query;
        if (!isIdentifierType(identifierType)) {
          throw new AssentError('unprocessable', `Unknown identifier type "${identifierType}"`, [
            {
              pointer: '/identifierType',
              detail: 'email, phone, customer_id, anonymous_id, device_id or external:<system>',
            },
          ]);
        }
        const declared = Number(req.headers['content-length']);
        if (declared > deps.config.audienceMaxBytes) {
          throw new AssentError(
            'payload_too_large',
            `An audience may send at most ${deps.config.audienceMaxBytes} bytes; this one says ${declared}`,
          );
        }
        const question = await decisions.prepareQuestion(workspaceId, spec);
        places.take(req, reply);
        sendContinue(req.raw, reply.raw);
        const stats: AudienceStats = { lines: 0, allowed: 0, denied: 0, invalid: 0 };
        const lines = filterAudience(
          withIdleLimit(body, deps.config.audienceIdleSeconds * 1000),
          {
            format,
            question,
            includeDenied: include === 'denied',
            identifierType,
            maxBytes: deps.config.audienceMaxBytes,
            evaluate: (checks) => decisions.evaluate(workspaceId, checks, { explain: false }),
          },
          stats,
        );
        for (const [name, key] of [
          ['x-assent-lines', 'lines'],
          ['x-assent-allowed', 'allowed'],
          ['x-assent-denied', 'denied'],
          ['x-assent-invalid', 'invalid'],
        ] as const) {
          reply.trailer(name, async () => String(stats[key]));
        }
        return reply.type(contentTypes[format]).send(Readable.from(lines));
      },
    );
  });

  registerSuppressionRoutes(app, deps);
}
