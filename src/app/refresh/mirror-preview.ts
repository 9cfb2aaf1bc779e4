import type { Environment } from '../../domain/environment.js';
import { KEPT_FROM_TARGET, formatBytes } from '../../domain/mirror.js';
import { mirrorForRefresh } from '../mirror-service.js';
import type { Runtime } from '../runtime.js';

/** How a refresh would copy the application database, as the preview says it. */
export interface PreviewMethod {
  readonly method: 'mirror' | 'copy';
  /** The target's mirror, when it has one (used or not). */
  readonly mirror?: {
    readonly usable: boolean;
    /** Why it is not used (the refresh copies instead). */
    readonly reason: string | null;
    /** Source WAL it has not applied yet (null: not known). */
    readonly lagBytes: number | null;
    /**
     * The moment the data would be from: the refresh waits for the mirror to catch up with
     * the source at its start, so it is then (null: the mirror is not used).
     */
    readonly dataFrom: string | null;
    /** Tables not replicated: copied from the source (or kept from the target) at refresh time. */
    readonly refreshTimeTables: readonly string[];
  };
  readonly sentence: string | undefined;
}

export async function previewMethod(runtime: Runtime, source: Environment, target: Environment): Promise<PreviewMethod> {
  const choice = await mirrorForRefresh(runtime, target, source.name).catch((error: Error) => ({ usable: false as const, reason: `the mirror could not be checked: ${error.message}` }));
  if (!choice.usable) {
    if (choice.reason === null) return { method: 'copy', sentence: undefined };
    return {
      method: 'copy',
      mirror: { usable: false, reason: choice.reason, lagBytes: null, dataFrom: null, refreshTimeTables: [] },
      sentence: `${target.name}'s mirror is not used: ${choice.reason}. The database is copied instead.`,
    };
  }
  const tables = choice.mirror.tables;
  const refreshTimeTables = [...tables.refreshTime.map((t) => t.table), ...tables.notMirrored.filter((t) => t.reason === KEPT_FROM_TARGET).map((t) => t.table)];
  const spare = choice.mirror.spare?.state === 'ready' && choice.mirror.spareWanted
    ? " Its spare is ready: the refresh takes it by a rename, nothing is copied."
    : choice.mirror.spareWanted
      ? " Its spare is not ready yet: the mirror's files are copied."
      : '';
  const lag = choice.lagBytes === null ? 'its lag is not known' : choice.lagBytes === 0 ? 'it is caught up' : `it is ${formatBytes(choice.lagBytes)} behind`;
  return {
    method: 'mirror',
    mirror: { usable: true, reason: null, lagBytes: choice.lagBytes, dataFrom: new Date().toISOString(), refreshTimeTables },
    sentence: `The application database is cloned from ${target.name}'s mirror of ${source.name} (${lag}): the refresh waits for it to catch up with ${source.name}, so the data is from the moment the refresh starts. ${tables.refreshTime.length} table(s) that cannot be replicated are copied at that moment.${spare}`,
  };
}
