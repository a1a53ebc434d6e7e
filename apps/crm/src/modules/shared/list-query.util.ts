import { InvalidCursorError } from '@keyhouse/platform/database';
import { DomainException } from '@keyhouse/platform/messaging';
import { CrmErrorCode } from '../../crm.exception';

/** Escapes `%`, `_` and `\` so that user text is matched literally inside a LIKE pattern. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (match) => `\\${match}`);
}

/** Runs a keyset builder, turning a bad cursor into a 400 `INVALID_CURSOR` naming the `cursor` field. */
export function pageOrThrow<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new DomainException('validation', CrmErrorCode.InvalidCursor, error.message, [
        { field: 'cursor', message: 'is not a cursor of this list' },
      ]);
    }
    throw error;
  }
}
