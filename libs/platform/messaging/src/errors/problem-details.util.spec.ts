import type { ErrorKind, RpcErrorBody } from '@keyhouse/contracts';
import { PROBLEM_CONTENT_TYPE, toProblemDetails } from './problem-details.util';

/** RFC 9110 status codes and reason phrases for each kind (the table in envelope.type.ts, restated). */
const EXPECTED: Array<[ErrorKind, number, string]> = [
  ['validation', 400, 'Bad Request'],
  ['unauthenticated', 401, 'Unauthorized'],
  ['forbidden', 403, 'Forbidden'],
  ['not_found', 404, 'Not Found'],
  ['conflict', 409, 'Conflict'],
  ['payload_too_large', 413, 'Content Too Large'],
  ['unprocessable', 422, 'Unprocessable Content'],
  ['too_many_requests', 429, 'Too Many Requests'],
  ['internal', 500, 'Internal Server Error'],
  ['unavailable', 503, 'Service Unavailable'],
  ['timeout', 504, 'Gateway Timeout'],
];

const bodyOf = (overrides: Partial<RpcErrorBody> = {}): RpcErrorBody => ({
  kind: 'not_found',
  code: 'CONTACT_NOT_FOUND',
  message: 'Contact not found',
  ...overrides,
});

describe('toProblemDetails', () => {
  it.each(EXPECTED)('maps kind %s to status %i (%s)', (kind, status, title) => {
    const problem = toProblemDetails(bodyOf({ kind }));
    expect(problem.status).toBe(status);
    expect(problem.title).toBe(title);
  });

  it('carries the code, message, instance and request id when given', () => {
    const problem = toProblemDetails(bodyOf(), '/v1/contacts/123', 'req-42');
    expect(problem).toEqual({
      type: 'urn:keyhouse:problem:contact-not-found',
      title: 'Not Found',
      status: 404,
      detail: 'Contact not found',
      instance: '/v1/contacts/123',
      code: 'CONTACT_NOT_FOUND',
      requestId: 'req-42',
    });
  });

  it('omits instance, request id and errors when they are absent or empty', () => {
    const problem = toProblemDetails(bodyOf({ errors: [] }));
    expect(problem).not.toHaveProperty('instance');
    expect(problem).not.toHaveProperty('requestId');
    expect(problem).not.toHaveProperty('errors');
  });

  it('carries field errors when there are some', () => {
    const errors = [
      { field: 'email', message: 'must be an email address', code: 'invalid_string' },
      { field: 'agent.capacity', message: 'must be positive' },
    ];
    expect(toProblemDetails(bodyOf({ kind: 'validation', code: 'VALIDATION_FAILED', errors })).errors).toEqual(errors);
  });

  it('adds details as extension members when there are some', () => {
    const problem = toProblemDetails(
      bodyOf({ kind: 'too_many_requests', code: 'RATE_LIMITED', details: { retryAfterSeconds: 30, limit: 100 } }),
    );
    expect(problem.retryAfterSeconds).toBe(30);
    expect(problem.limit).toBe(100);
  });

  it.each([
    ['CONTACT_NOT_FOUND', 'urn:keyhouse:problem:contact-not-found'],
    ['IDEMPOTENCY_KEY_IN_FLIGHT', 'urn:keyhouse:problem:idempotency-key-in-flight'],
    ['FORBIDDEN', 'urn:keyhouse:problem:forbidden'],
    ['ROUTE_WITHOUT_PERMISSION', 'urn:keyhouse:problem:route-without-permission'],
  ])('derives the type URN from code %s in lower kebab case', (code, type) => {
    expect(toProblemDetails(bodyOf({ code })).type).toBe(type);
  });
});

describe('PROBLEM_CONTENT_TYPE', () => {
  it('is the RFC 9457 media type', () => {
    expect(PROBLEM_CONTENT_TYPE).toBe('application/problem+json');
  });
});

describe('toProblemDetails with colliding details', () => {
  it('never lets details override the standard members', () => {
    const problem = toProblemDetails({
      kind: 'not_found',
      code: 'X',
      message: 'm',
      details: { status: 200, code: 'Y', type: 'z', retryAfterSeconds: 3 },
    });
    expect(problem.status).toBe(404);
    expect(problem.code).toBe('X');
    expect(problem.type).toBe('urn:keyhouse:problem:x');
    expect(problem.retryAfterSeconds).toBe(3);
  });
});
