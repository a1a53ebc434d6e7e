import { ValidationPipe, type ValidationError } from '@nestjs/common';
import type { FieldError } from '@keyhouse/contracts';
import { DomainException } from '@keyhouse/platform/messaging';

/** Flattens class-validator errors into `{ field: 'a.b[0].c', message }` entries. */
export function fieldErrors(errors: ValidationError[], parent = '', parentIsArray = false): FieldError[] {
  const result: FieldError[] = [];
  for (const error of errors) {
    const field = parentIsArray ? `${parent}[${error.property}]` : parent ? `${parent}.${error.property}` : error.property;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      const text = constraint === 'whitelistValidation' ? 'is not an accepted field' : message.replace(/^\S+\s/, '');
      result.push({ field, message: text, code: constraint });
    }
    if (error.children?.length) result.push(...fieldErrors(error.children, field, Array.isArray(error.value)));
  }
  return result;
}

/**
 * Validation at the edge (ARCHITECTURE.md, HTTP API): DTO classes with class-validator,
 * unknown fields rejected (`forbidNonWhitelisted`), values transformed to their declared types,
 * every failing field reported in `errors[]` of a 400 problem.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    stopAtFirstError: false,
    // `value` tells array indexes from object keys when naming fields; it never reaches the client.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => DomainException.validation(fieldErrors(errors)),
  });
}
