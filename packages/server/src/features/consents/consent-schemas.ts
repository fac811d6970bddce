import { channels, consentSources, legalBases, targetTypes } from '@assent/core';
import { type Static, Type } from '@sinclair/typebox';
import { enumOf } from '../../http/schema-helpers.ts';
import { SubjectRef } from '../subjects/subject-schemas.ts';

const Timestamp = Type.String({ format: 'date-time' });
const Key = Type.String({ minLength: 1, maxLength: 64 });

export const Decision = Type.Object(
  {
    target: Type.Object({ type: enumOf(targetTypes), key: Key }, { additionalProperties: false }),
    channel: Type.Optional(
      enumOf(channels, 'For topic decisions: the channel it applies to (all channels when absent).'),
    ),
    state: enumOf(['granted', 'denied', 'withdrawn'] as const, '`pending` is set only by double opt-in.'),
    legalBasis: Type.Optional(enumOf(legalBases)),
    expiresAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);

export const Evidence = Type.Object(
  {
    noticeVersionId: Type.Optional(Type.String({ maxLength: 64 })),
    language: Type.Optional(Type.String({ maxLength: 35 })),
    uiVariant: Type.Optional(Type.String({ maxLength: 64 })),
    ipAddress: Type.Optional(
      Type.String({ maxLength: 64, description: 'Stored truncated (IPv4 /24, IPv6 /48).' }),
    ),
    userAgent: Type.Optional(Type.String({ maxLength: 1000 })),
    collectedBy: Type.Optional(Type.String({ maxLength: 200, description: 'The agent who collected it.' })),
    gpc: Type.Optional(Type.Boolean()),
    interaction: Type.Optional(Type.String({ maxLength: 32 })),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const RecordConsents = Type.Object(
  {
    subject: SubjectRef,
    decisions: Type.Array(Decision, { minItems: 1, maxItems: 100 }),
    scope: Type.Optional(
      Type.Object(
        { brand: Type.Optional(Key), property: Type.Optional(Key) },
        { additionalProperties: false },
      ),
    ),
    source: enumOf(consentSources),
    evidence: Type.Optional(Evidence),
    occurredAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'When the person decided; default now.' }),
    ),
  },
  { additionalProperties: false },
);
export type RecordConsents = Static<typeof RecordConsents>;

export const RecordView = Type.Object({
  id: Type.String(),
  subjectId: Type.String(),
  seq: Type.Integer(),
  target: Type.Object({ type: Type.String(), key: Type.String() }),
  channel: Type.Union([Type.String(), Type.Null()]),
  scope: Type.Object({ type: Type.String(), key: Type.Union([Type.String(), Type.Null()]) }),
  state: Type.String(),
  legalBasis: Type.Union([Type.String(), Type.Null()]),
  source: Type.String(),
  evidence: Type.Record(Type.String(), Type.Unknown()),
  occurredAt: Type.String(),
  recordedAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  prevHash: Type.Union([Type.String(), Type.Null()]),
  hash: Type.String(),
});

export const StateView = Type.Object({
  target: Type.Object({ type: Type.String(), key: Type.String() }),
  channel: Type.Union([Type.String(), Type.Null()]),
  scope: Type.Object({ type: Type.String(), key: Type.Union([Type.String(), Type.Null()]) }),
  state: Type.String(),
  occurredAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  record: Type.Object({ id: Type.String(), source: Type.String() }),
});
