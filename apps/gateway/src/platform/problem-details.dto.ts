import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

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

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (errors[] names each field)',
  401: 'Missing or invalid credentials',
  403: 'The caller lacks the permission',
  404: 'Not found (also for records of another organization)',
  409: 'Conflict with the current state',
  413: 'Body larger than allowed',
  422: 'Idempotency-Key reused with a different body',
  429: 'Rate limited (see Retry-After)',
  503: 'A service is unavailable',
  504: 'A service did not answer in time',
};

/** Documents the problem-details responses a route can give. */
export function ApiProblems(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...[...new Set([400, 429, 503, 504, ...statuses])].map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status], type: ProblemDetailsDto, content: undefined }),
    ),
  );
}
