import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { PlatformErrorCode } from '@keyhouse/platform/messaging';

export class FieldErrorDto {
  @ApiProperty({ example: 'email' }) field: string;
  @ApiProperty({ example: 'must be an email' }) message: string;
  @ApiPropertyOptional({ example: 'isEmail' }) code?: string;
}

/** RFC 9457 problem details as the gateway sends them. */
export class ProblemDetailsDto {
  @ApiProperty({ example: 'urn:keyhouse:problem:validation-failed' }) type: string;
  @ApiProperty({ example: 'Bad Request' }) title: string;
  @ApiProperty({ example: 400 }) status: number;
  @ApiProperty({ example: 'The request has invalid fields' }) detail: string;
  @ApiPropertyOptional({ example: '/v1/users' }) instance?: string;
  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable machine-readable reason' }) code: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) errors?: FieldErrorDto[];
  @ApiPropertyOptional() requestId?: string;
}

/** Per status: the description and a typical body (its `code` is one the API really sends). */
const PROBLEMS: Record<number, { description: string; title: string; code: PlatformErrorCode; detail: string }> = {
  400: {
    description: 'Invalid input (errors[] names each field)',
    title: 'Bad Request',
    code: PlatformErrorCode.ValidationFailed,
    detail: 'The request has invalid fields',
  },
  401: {
    description: 'Missing or invalid credentials',
    title: 'Unauthorized',
    code: PlatformErrorCode.Unauthenticated,
    detail: 'A valid access token or API key is required',
  },
  403: {
    description: 'The caller lacks the permission',
    title: 'Forbidden',
    code: PlatformErrorCode.Forbidden,
    detail: 'This needs the contacts:write permission',
  },
  404: {
    description: 'Not found (also for records of another organization)',
    title: 'Not Found',
    code: PlatformErrorCode.NotFound,
    detail: 'No such record',
  },
  409: {
    description: 'Conflict with the current state (a duplicate, a request with this Idempotency-Key still in flight, ...)',
    title: 'Conflict',
    code: PlatformErrorCode.IdempotencyKeyInFlight,
    detail: 'A request with this Idempotency-Key is in progress',
  },
  413: {
    description: 'Body larger than allowed',
    title: 'Payload Too Large',
    code: PlatformErrorCode.PayloadTooLarge,
    detail: 'The body is larger than allowed',
  },
  422: {
    description: 'Idempotency-Key reused with a different body, or a rule of the domain refused the change',
    title: 'Unprocessable Content',
    code: PlatformErrorCode.IdempotencyKeyReused,
    detail: 'This Idempotency-Key was used with a different request',
  },
  429: {
    description: 'Rate limited (see Retry-After)',
    title: 'Too Many Requests',
    code: PlatformErrorCode.RateLimited,
    detail: 'Too many requests; retry after the time in Retry-After',
  },
  503: {
    description: 'A service is unavailable',
    title: 'Service Unavailable',
    code: PlatformErrorCode.ServiceUnavailable,
    detail: 'A service needed for this request is unavailable',
  },
  504: {
    description: 'A service did not answer in time',
    title: 'Gateway Timeout',
    code: PlatformErrorCode.ServiceTimeout,
    detail: 'A service did not answer in time',
  },
};

/** Documents the problem-details responses a route can give. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...[...new Set([400, 429, 503, 504, ...statuses])].map((status) => {
      const problem = PROBLEMS[status];
      return ApiResponse({
        status,
        description: problem?.description,
        type: ProblemDetailsDto,
        ...(problem
          ? {
              example: {
                type: `urn:keyhouse:problem:${problem.code.toLowerCase().replace(/_/g, '-')}`,
                title: problem.title,
                status,
                detail: problem.detail,
                code: problem.code,
                ...(status === 400 ? { errors: [{ field: 'email', message: 'must be an email', code: 'isEmail' }] } : {}),
              },
            }
          : {}),
      });
    }),
  );
}
