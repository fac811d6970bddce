import { type Static, Type } from '@sinclair/typebox';

export const IdentifierInput = Type.Object(
  {
    type: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'email, phone, customer_id, anonymous_id, device_id or external:<system>',
    }),
    value: Type.String({ minLength: 1, maxLength: 320 }),
  },
  { additionalProperties: false },
);
export type IdentifierInput = Static<typeof IdentifierInput>;

export const Attributes = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
  description: 'Free attributes of the person (e.g. firstName, locale); zero-party data the person shared.',
});

/** `{ id }` or `{ identifiers }`: a subject named by id, or found (and created when missing) by identifiers. */
export const SubjectRef = Type.Union([
  Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  Type.Object(
    {
      identifiers: Type.Array(IdentifierInput, { minItems: 1, maxItems: 20 }),
      attributes: Type.Optional(Attributes),
    },
    { additionalProperties: false },
  ),
]);
export type SubjectRef = Static<typeof SubjectRef>;

export const SubjectView = Type.Object({
  id: Type.String(),
  identifiers: Type.Array(Type.Object({ type: Type.String(), value: Type.String() })),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  mergedInto: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
