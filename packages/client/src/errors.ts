import type { FieldError } from '@assent/core';

/** An RFC 9457 problem, as the server answers every error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** Assent's stable error code, e.g. `invalid_identifier`. */
  code?: string;
  requestId?: string;
  /** Field-level errors (validation). */
  errors?: FieldError[];
}

/** The server answered with a non-2xx status. */
export class AssentApiError extends Error {
  readonly problem: Problem;
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string | undefined;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;

  constructor(problem: Problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.name = 'AssentApiError';
    this.problem = problem;
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.code = problem.code;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
  }
}

/** No answer: the server could not be reached, the connection broke, or the call timed out. */
export class AssentConnectionError extends Error {
  readonly timedOut: boolean;
  constructor(message: string, options: { cause?: unknown; timedOut?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AssentConnectionError';
    this.timedOut = options.timedOut ?? false;
  }
}

/** Builds the error of a non-2xx response, whether or not its body is a problem document. */
export async function apiErrorOf(res: Response): Promise<AssentApiError> {
  const requestId = res.headers.get('x-request-id') ?? undefined;
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const b = (body && typeof body === 'object' ? body : {}) as Partial<Problem>;
  return new AssentApiError({
    ...b,
    type: typeof b.type === 'string' ? b.type : 'about:blank',
    title: typeof b.title === 'string' ? b.title : res.statusText || `HTTP ${res.status}`,
    status: res.status,
    detail: typeof b.detail === 'string' ? b.detail : text.slice(0, 500),
    requestId: typeof b.requestId === 'string' ? b.requestId : requestId,
  });
}
