import type { Pool, PoolClient } from 'pg';
import type { PagingDirectory } from '../domain/paging.js';
import type { EscalationTarget } from '../domain/policy.js';
import type { Schedules } from './schedules.js';
import type { Users } from './users.js';

/** The users and schedules `targets` name, as they stand now, for resolving who to page. */
export const loadDirectory = async (
  users: Users,
  schedules: Schedules,
  targets: readonly EscalationTarget[],
  db?: Pool | PoolClient,
): Promise<PagingDirectory> => {
  const ids = (kind: EscalationTarget['kind']) => targets.filter((t) => t.kind === kind).map((t) => t.id);
  const found = await schedules.load(ids('schedule'), db);
  const named = [...found.values()].flatMap((s) => [
    ...s.layers.flatMap((l) => l.users),
    ...s.overrides.map((o) => o.userId),
  ]);
  const people = await users.byIds([...ids('user'), ...named], db);
  return { user: (id) => people.get(id), schedule: (id) => found.get(id) };
};
