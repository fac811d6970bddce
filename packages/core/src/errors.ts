/** Stable error codes of the domain; the HTTP layer maps each to a status and an RFC 9457 body. */
export const errorCodes = {
  bad_request: { status: 400, title: 'The request is malformed' },
  validation_failed: { status: 400, title: 'The request does not match the schema' },
  invalid_cursor: { status: 400, title: 'The cursor is not valid' },
  unauthorized: { status: 401, title: 'A valid API key is required' },
  forbidden: { status: 403, title: "The key's role does not allow this" },
  origin_not_allowed: { status: 403, title: "The origin is not one of the property's domains" },
  invalid_token: { status: 401, title: 'The token is invalid or expired' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  idempotency_conflict: { status: 409, title: 'The Idempotency-Key was used with another request' },
  request_timeout: { status: 408, title: 'The request body stopped arriving' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The content type is not supported' },
  invalid_identifier: { status: 422, title: 'The identifier is not valid' },
  unprocessable: { status: 422, title: 'The request is semantically invalid' },
  rate_limited: { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'The service is unavailable' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export interface FieldError {
  /** JSON pointer of the offending field, e.g. `/decisions/0/state`. */
  pointer: string;
  detail: string;
}

export class AssentError extends Error {
  readonly code: ErrorCode;
  readonly errors?: FieldError[];
  constructor(code: ErrorCode, detail?: string, errors?: FieldError[]) {
    super(detail ?? errorCodes[code].title);
    this.name = 'AssentError';
    this.code = code;
    this.errors = errors;
  }
}
