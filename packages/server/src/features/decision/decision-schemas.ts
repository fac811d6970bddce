import { channels, decisionReasons, suppressionReasons } from '@assent/core';
import { type Static, Type } from '@sinclair/typebox';
import { PageQuery } from '../../http/pagination.ts';
import { enumOf } from '../../http/schema-helpers.ts';
import { IdentifierInput } from '../subjects/subject-schemas.ts';

const Key = (description: string) => Type.String({ minLength: 1, maxLength: 64, description });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Channel = enumOf(channels);

export const QuestionFields = {
  channel: Type.Optional(enumOf(channels, 'Contact question: the channel. Give this or `purpose`.')),
  topic: Type.Optional(Key('Contact question: the topic key (its ancestors count too).')),
  purpose: Type.Optional(Key('Processing question: the purpose key. Give this or `channel`.')),
  vendor: Type.Optional(Key('Processing question: the vendor that would process the data.')),
  brand: Type.Optional(Key('Brand scope: brand-scoped decisions come before workspace-wide ones.')),
  property: Type.Optional(Key('Property scope (its brand applies when `brand` is left out).')),
};

export const CheckSubject = Type.Union([
  Type.Object({ identifier: IdentifierInput }, { additionalProperties: false }),
  Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
]);

export const Check = Type.Object(
  { subject: CheckSubject, ...QuestionFields },
  {
    additionalProperties: false,
    description: 'Either `channel` (and `topic`) or `purpose` (and `vendor`); an unknown key is a 422.',
  },
);
export type Check = Static<typeof Check>;

export const CheckRecord = Type.Object({
  id: Type.String(),
  occurredAt: Type.String(),
  source: Type.String(),
  state: Type.String(),
  target: Type.Object({ type: Type.String(), key: Type.String() }),
  channel: Nullable(Type.String()),
  scope: Type.Object({ type: Type.String(), key: Nullable(Type.String()) }),
  expiresAt: Nullable(Type.String()),
});

export const CheckAnswer = Type.Object({
  allowed: Type.Boolean(),
  reason: enumOf(decisionReasons),
  explanation: Type.String({ description: 'One sentence that says why.' }),
  record: Type.Union([CheckRecord, Type.Null()], {
    description: 'The decisive ledger record, if one decided.',
  }),
});

export const CheckBatch = Type.Object(
  { checks: Type.Array(Check, { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);
export type CheckBatch = Static<typeof CheckBatch>;

export const CheckBatchAnswer = Type.Object({
  results: Type.Array(CheckAnswer, { description: 'In the order of `checks`.' }),
});

export const AudienceQuery = Type.Object(
  {
    ...QuestionFields,
    include: Type.Optional(enumOf(['denied'] as const, '`denied`: answer every line, with its reason.')),
    identifierType: Type.String({
      default: 'email',
      minLength: 1,
      maxLength: 64,
      description: 'The type of the identifiers in a CSV body (and of NDJSON lines without one).',
    }),
  },
  { additionalProperties: false },
);
export type AudienceQuery = Static<typeof AudienceQuery>;

export const NewSuppression = Type.Object(
  {
    identifier: IdentifierInput,
    channel: Channel,
    reason: enumOf(suppressionReasons),
  },
  { additionalProperties: false },
);
export type NewSuppression = Static<typeof NewSuppression>;

export const SuppressionView = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  identifierHash: Type.String({ description: 'sha256 of `type:value` of the normalised identifier.' }),
  reason: Type.String(),
  createdAt: Type.String(),
});

export const SuppressionListQuery = Type.Object(
  { ...PageQuery.properties, channel: Type.Optional(Channel) },
  { additionalProperties: false },
);
export type SuppressionListQuery = Static<typeof SuppressionListQuery>;

export const SuppressionLookupQuery = Type.Object(
  {
    identifier: Type.String({
      minLength: 3,
      maxLength: 400,
      description: 'type:value, e.g. email:ana@example.com',
    }),
    channel: Type.Optional(Channel),
  },
  { additionalProperties: false },
);

export const SuppressionLookup = Type.Object({
  suppressed: Type.Boolean(),
  identifierHash: Type.String(),
  items: Type.Array(SuppressionView),
});
