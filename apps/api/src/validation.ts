import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiError } from './errors/api-error';

function messagesOf(errors: readonly ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => (prefix ? `${prefix}.${m}` : m)),
    ...messagesOf(e.children ?? [], prefix ? `${prefix}.${e.property}` : e.property),
  ]);
}

/**
 * The global pipe: unknown properties are stripped, values are converted to the DTO types,
 * and a failure is a BAD_REQUEST carrying every class-validator message (never the values, which
 * may be secrets).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    transform: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const messages = messagesOf(errors);
      const list = messages.length > 0 ? messages : ['invalid input'];
      return new ApiError('BAD_REQUEST', list.join('; '), { errors: list });
    },
  });
}
