import { DomainException } from '@keyhouse/platform/messaging';

/**
 * The `DomainException` a service call was refused with (`kind`, `code`, `errors`, `details` as
 * the service sent them), for assertions on more than `toMatchObject` reaches (exact `errors`).
 *
 * @throws Error when the call succeeded or failed with something other than a DomainException.
 */
export async function refusalOf(call: Promise<unknown>): Promise<DomainException> {
  let answer: unknown;
  try {
    answer = await call;
  } catch (error) {
    if (error instanceof DomainException) return error;
    throw error;
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(answer)}`);
}
