import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * RFC 3339's formats, with `date-time` narrowed to what `Date` reads: RFC 3339 also allows a leap
 * second (`23:59:60`) and ajv-formats an offset without minutes (`+02`), which would reach the
 * handlers as an invalid date.
 */
function withFormats(ajv: Ajv.default): Ajv.default {
  addFormats.default(ajv);
  const dateTime = ajv.formats['date-time'] as { validate: (v: string) => boolean };
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (v: string) => dateTime.validate(v) && Number.isFinite(Date.parse(v)),
  });
  return ajv;
}

/**
 * Bodies are validated strictly (no type coercion, unknown keys rejected, nothing removed);
 * query strings, params and headers coerce, since they arrive as text.
 */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const common = { allErrors: true, useDefaults: true, removeAdditional: false, strict: false } as const;
  const strict = withFormats(new Ajv.default({ ...common, coerceTypes: false }));
  const coercing = withFormats(new Ajv.default({ ...common, coerceTypes: 'array' }));
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}
