import type { Store } from '../store/index.js';
import type { RevisionRuntime } from './ports.js';

/**
 * The persistent data folders of environments (FLOWLINE_DATA_DIR) as a teardown sees them: a
 * preview's goes with it, a persistent environment's stays unless an admin purges it. Removing a
 * folder never fails a teardown whose records are written already; what is left of a preview's is
 * found again at the next start ({@link deletedPreviews}).
 */

/** An environment whose data folder may be deleted. */
export interface DataOwner {
  readonly service: string;
  readonly name: string;
  readonly kind: 'persistent' | 'ephemeral';
}

/**
 * Deletes an environment's data folder, saying so through `progress`; true when no folder is left.
 * A failure (a revision of it still runs) is reported, not thrown.
 */
export async function removeData(
  runtime: Pick<RevisionRuntime, 'removeData'>,
  env: DataOwner,
  progress: (line: string) => void,
): Promise<boolean> {
  try {
    if (await runtime.removeData(env.service, env.name)) {
      progress(`deleted the data folder of ${env.service}/${env.name}`);
    }
    return true;
  } catch (error) {
    const retry = env.kind === 'ephemeral' ? '; the next start of flowline serve deletes it' : '';
    progress(
      `could not delete the data folder of ${env.service}/${env.name} yet: ${(error as Error).message}${retry}`,
    );
    return false;
  }
}

/**
 * Deleted previews whose name no live environment has taken again: their data folders, if a
 * killed teardown left any, are to be deleted. A name in use again is left alone (its folder is
 * the new preview's now).
 */
export async function deletedPreviews(store: Store): Promise<DataOwner[]> {
  const rows = await store.db
    .selectFrom('environments as e')
    .innerJoin('services', 'services.id', 'e.service_id')
    .select(['services.name as service', 'e.name as name'])
    .where('e.kind', '=', 'ephemeral')
    .where('e.deleted_at', 'is not', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('environments as live')
            .select('live.id')
            .whereRef('live.service_id', '=', 'e.service_id')
            .whereRef('live.name', '=', 'e.name')
            .where('live.deleted_at', 'is', null),
        ),
      ),
    )
    .distinct()
    .execute();
  return rows.map((row) => ({ ...row, kind: 'ephemeral' as const }));
}
