import { AssentError, type ErrorCode, errorCodes, type FieldError } from '@assent/core';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../db/database-unavailable.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: ErrorCode;
  requestId?: string;
  errors?: FieldError[];
}

export const problemType = (code: ErrorCode) => `/problems/${code.replaceAll('_', '-')}`;

export function toProblem(code: ErrorCode, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = errorCodes[code];
  return { type: problemType(code), title, status, detail, code, ...(errors?.length ? { errors } : {}) };
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
  FST_ERR_VALIDATION: 'validation_failed',
};

/**
 * PostgreSQL refusing a value the schemas let through (SQLite stores these): the request is at
 * fault, and its statement or transaction wrote nothing.
 */
const postgresDataErrors: Record<string, string> = {
  '22021': 'A text value holds a character the database cannot store (such as U+0000)',
  '22P05': 'A text value holds a character the database cannot store (such as U+0000)',
  '22001': 'A value is longer than its field allows',
  '22003': 'A number is out of range',
};

/**
 * The code and words of an error answered as a known 5xx, for the log: what the database said (a
 * connection failure quotes no personal data) is the operator's first clue. A host name's addresses
 * fail together, each with its own words.
 */
export function causeOf(err: unknown): unknown {
  const words = (e: unknown) =>
    e instanceof Error ? { code: (e as { code?: unknown }).code, message: e.message } : undefined;
  return err instanceof AggregateError ? err.errors.map(words) : words(err);
}

/** What the request was, for the words of a 503: a read, or a write sent with an Idempotency-Key or not. */
export interface FailedRequest {
  method: string;
  idempotencyKey: boolean;
}

/**
 * A read may simply be sent again. A write may have been recorded before the connection was lost (or
 * before a read that followed its commit failed): the client is told so, and how to send it safely.
 */
function unavailableDetail(request?: FailedRequest): string {
  const reached = 'The database cannot be reached just now';
  if (!request || ['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return `${reached}: retry shortly`;
  return request.idempotencyKey
    ? `${reached}, and this write may or may not have been recorded: send it again with the same Idempotency-Key, and it is recorded once`
    : `${reached}, and this write may or may not have been recorded: check before sending it again`;
}

/** Maps any thrown error to a problem; unknown errors become a 500 that says nothing internal. */
export function problemFromError(
  err: unknown,
  request?: FailedRequest,
): { problem: Problem; internal: boolean } {
  if (err instanceof AssentError)
    return { problem: toProblem(err.code, err.message, err.errors), internal: false };
  const fe = err as FastifyError & {
    validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  };
  if (fe?.validation) {
    const errors = fe.validation.map((v) => {
      const extra = v.params?.additionalProperty ? ` (${String(v.params.additionalProperty)})` : '';
      return { pointer: v.instancePath || '/', detail: `${v.message ?? 'is invalid'}${extra}` };
    });
    const where = fe.validationContext ?? 'body';
    return {
      problem: toProblem('validation_failed', `The ${where} does not match the schema`, errors),
      internal: false,
    };
  }
  const mapped = fe?.code ? fastifyCodes[fe.code] : undefined;
  if (mapped) return { problem: toProblem(mapped, fe.message), internal: false };
  const dataError = typeof fe?.code === 'string' ? postgresDataErrors[fe.code] : undefined;
  if (dataError && 'severity' in fe)
    return { problem: toProblem('unprocessable', dataError), internal: false };
  if (isDatabaseUnavailable(err)) {
    return { problem: toProblem('unavailable', unavailableDetail(request)), internal: false };
  }
  if (err instanceof SyntaxError)
    return { problem: toProblem('bad_request', 'The body is not valid JSON'), internal: false };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const code: ErrorCode =
      fe.statusCode === 404 ? 'not_found' : fe.statusCode === 429 ? 'rate_limited' : 'bad_request';
    return { problem: { ...toProblem(code, fe.message), status: fe.statusCode }, internal: false };
  }
  return {
    problem: toProblem('internal', 'An unexpected error occurred; it has been logged'),
    internal: true,
  };
}

export function sendProblem(req: FastifyRequest, reply: FastifyReply, problem: Problem) {
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send({ ...problem, instance: req.url.split('?')[0], requestId: req.id });
}
