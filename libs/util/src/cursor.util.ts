import { PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from '@keyhouse/contracts';

/**
 * Keyset-pagination cursor: the sort value and id of the last row of a page, as base64url JSON.
 * Opaque to clients; a cursor that does not decode is rejected by the caller with a 400.
 */
export interface CursorPosition {
  /** Value of the sort column of the last row (ISO string for times). */
  v: string | number | null;
  /** Id of the last row: the tie-breaker. */
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.v, position.id]), 'utf8').toString('base64url');
}

/** Decodes a cursor; returns null when it is not one this library made. */
export function decodeCursor(cursor: string): CursorPosition | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[1] !== 'string') return null;
    const [v, id] = parsed as [unknown, string];
    if (v !== null && typeof v !== 'string' && typeof v !== 'number') return null;
    return { v, id };
  } catch {
    return null;
  }
}

/** Clamps a requested page size to 1..PAGE_LIMIT_MAX, PAGE_LIMIT_DEFAULT when absent. */
export function pageLimit(requested: number | undefined): number {
  if (requested === undefined || !Number.isFinite(requested)) return PAGE_LIMIT_DEFAULT;
  return Math.min(PAGE_LIMIT_MAX, Math.max(1, Math.trunc(requested)));
}
