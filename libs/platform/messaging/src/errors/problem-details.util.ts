import { ERROR_KIND_STATUS, type FieldError, type RpcErrorBody } from '@keyhouse/contracts';

/**
 * RFC 9457 problem details (`application/problem+json`), extended with `code` (stable reason),
 * `errors[]` (invalid fields) and `requestId`.
 */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  errors?: FieldError[];
  requestId?: string;
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Maps a service error to problem details; `type` is a stable URN per code. */
export function toProblemDetails(error: RpcErrorBody, instance?: string, requestId?: string): ProblemDetails {
  return problemWithStatus(ERROR_KIND_STATUS[error.kind] ?? 500, error, instance, requestId);
}

/**
 * Problem details with an explicit HTTP `status`, for answers the HTTP server gives before any
 * route runs and that no error kind maps to (414 URI Too Long, 431 Request Header Fields Too
 * Large, 408 Request Timeout; RFC 9110 §15.5): same members as `toProblemDetails`.
 */
export function problemWithStatus(
  status: number,
  error: Pick<RpcErrorBody, 'code' | 'message'> & Partial<RpcErrorBody>,
  instance?: string,
  requestId?: string,
): ProblemDetails {
  return {
    // Extension members first, so that they can never override the standard members.
    ...(error.details ?? {}),
    type: `urn:keyhouse:problem:${error.code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail: error.message,
    ...(instance ? { instance } : {}),
    code: error.code,
    ...(error.errors?.length ? { errors: error.errors } : {}),
    ...(requestId ? { requestId } : {}),
  };
}
