import { bannerEventTypes, bannerInteractions } from '@assent/core';
import { Type } from '@sinclair/typebox';
import { BROWSER_KEY_MAX_LENGTH } from '../../http/idempotency.ts';
import { enumOf } from '../../http/schema-helpers.ts';

const AnonymousId = Type.String({
  minLength: 8,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  description: 'The random visitor id the banner keeps in its cookie.',
});
const Language = Type.String({ pattern: '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$', maxLength: 35 });

export const KeyParams = Type.Object({
  key: Type.String({ maxLength: 64, description: "The property's publishable key (`pk_...`)." }),
});

export const CollectConsent = Type.Object(
  {
    anonymousId: AnonymousId,
    decisions: Type.Record(Type.String({ maxLength: 64 }), Type.Boolean(), {
      maxProperties: 100,
      description: 'Granted (true) or refused (false) per purpose key; necessary purposes are not recorded.',
    }),
    noticeVersionId: Type.String({ maxLength: 64, description: 'The banner notice version shown.' }),
    language: Language,
    interaction: enumOf(bannerInteractions),
    gpc: Type.Boolean({
      description: 'The browser sent Global Privacy Control: sale and sharing purposes are refused.',
    }),
    decidedAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description:
          'When the person chose, by the browser clock; kept when within the last 7 days (a choice queued offline keeps its place).',
      }),
    ),
    subjectToken: Type.Optional(
      Type.String({
        maxLength: 4096,
        description:
          'A subject token given to `assent.identify()`. A stale or invalid one does not lose the choice: it is recorded for the visitor (`identified: false`).',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CollectIdentify = Type.Object(
  { anonymousId: AnonymousId, subjectToken: Type.String({ minLength: 1, maxLength: 4096 }) },
  { additionalProperties: false },
);

export const IdentifyAnswer = Type.Object({
  decisions: Type.Record(Type.String(), Type.Boolean()),
  decidedAt: Type.Union([Type.String(), Type.Null()]),
});

export const CollectEvent = Type.Object(
  {
    type: enumOf(bannerEventTypes),
    variant: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    language: Type.Optional(Language),
  },
  { additionalProperties: false },
);

export const BannerStatsQuery = Type.Object(
  {
    property: Type.String({ maxLength: 64, description: 'The property key.' }),
    from: Type.Optional(
      Type.String({ format: 'date', description: 'First day (UTC), default 30 days ago.' }),
    ),
    to: Type.Optional(Type.String({ format: 'date', description: 'Last day (UTC), default today.' })),
  },
  { additionalProperties: false },
);

export const BannerStats = Type.Object({
  property: Type.String(),
  from: Type.String(),
  to: Type.String(),
  days: Type.Array(
    Type.Object({
      day: Type.String(),
      variant: Type.String(),
      counts: Type.Record(Type.String(), Type.Integer()),
      /** Share of choices that accepted everything. */
      acceptRate: Type.Union([Type.Number(), Type.Null()]),
    }),
  ),
});

export const Recorded = Type.Object({
  recorded: Type.Integer({ description: 'How many ledger records the choice made (one per purpose).' }),
  identified: Type.Boolean({
    description: "Whether the subject token was valid and the choice is the person's.",
  }),
});

/** The banner's Idempotency-Key: one per choice, kept 400 days. */
export const CollectIdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: BROWSER_KEY_MAX_LENGTH,
      description:
        'One per choice (the banner sends a UUID). The same key and body within 400 days records the choice once.',
    }),
  ),
});
