import type { UnitOfWorkContext } from '@keyhouse/platform/messaging';

/**
 * `load()` once per key and unit of work when the unit has a memo (`UnitOfWork.run(..., { memo:
 * true })`: an import call routes 500 contacts, the organization's rules and agents are read
 * once), else every time.
 */
export async function memoized<T>(unit: Pick<UnitOfWorkContext, 'memo'>, key: string, load: () => Promise<T>): Promise<T> {
  if (!unit.memo) return load();
  if (!unit.memo.has(key)) unit.memo.set(key, await load());
  return unit.memo.get(key) as T;
}
