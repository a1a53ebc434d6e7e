import { AuditSubjects, type Actor, type AuditEntryView, type AuditLogListRequest } from '@keyhouse/contracts';
import type { TestService } from '@keyhouse/testing';

/**
 * Calls `audit.logs.list` as `actor` with `query` (limit 100) until `done(items)` holds (default
 * 20 s); returns the last items, newest first.
 *
 * @throws Error naming the actions seen when `done` does not hold in time; the service's refusal as is.
 */
export async function waitForEntries(
  service: TestService,
  actor: Actor,
  query: AuditLogListRequest,
  done: (items: AuditEntryView[]) => boolean,
  timeoutMs = 20_000,
): Promise<AuditEntryView[]> {
  const started = Date.now();
  for (;;) {
    const page = await service.rpc.call(AuditSubjects.list, { limit: 100, ...query }, actor);
    if (done(page.items)) return page.items;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`audit entries not found in time: ${JSON.stringify(page.items.map((item) => item.action))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
