import { useState } from 'react';
import { api, type ApiError, asApiError, enc } from '../../api/client';
import type { Asset, EnvironmentPackage, Operation, PendingAction } from '../../api/types';
import { packageName } from '../../assets';
import { ErrorNotice } from '../../components/Notice';
import { remedyTargets } from '../../components/Remedy';
import { navigate, paths } from '../../router';
import { canApply, useSession } from '../../session';

/**
 * What a pending action asks for, as buttons: import the shared asset it names into the
 * library, then apply the package to the environment (followed on its operation page).
 */
export function PendingActionButtons({ action, environment, type }: { readonly action: PendingAction; readonly environment: string; readonly type: 'production' | 'sandbox' }) {
  const { user } = useSession();
  const targets = remedyTargets(action.remedy);
  const [imported, setImported] = useState<Asset>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  if (!canApply(user.role, type) || (!targets.shared && !targets.apply)) return null;

  const run = async (change: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await change();
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };
  /** The library's package of a shared asset, when it is there already (imported since the action was left). */
  const fromLibrary = async (shared: string) => {
    const packages = await api.get<EnvironmentPackage[]>(`/api/environments/${enc(environment)}/packages`);
    return packages.filter((p) => p.asset.shared === shared && p.applicable).at(-1)?.asset;
  };
  const importShared = (shared: string) =>
    run(async () => {
      setImported((await fromLibrary(shared)) ?? (await api.post<Asset>('/api/assets', { shared })));
    });
  const apply = (id: number) =>
    run(async () => {
      const { operation } = await api.post<{ operation: Operation }>(`/api/environments/${enc(environment)}/apply`, { package: id });
      navigate(paths.operation(operation.id));
    });

  const packageId = targets.apply?.package;
  return (
    <div className="button-row">
      {packageId !== undefined && (
        <button type="button" className="button button-primary" disabled={busy} onClick={() => void apply(packageId)}>
          Apply package {packageId} to {environment}
        </button>
      )}
      {packageId === undefined && targets.shared && !imported && (
        <button type="button" className="button" disabled={busy} onClick={() => void importShared(targets.shared!)}>
          Import the shared asset {targets.shared}
        </button>
      )}
      {packageId === undefined && imported && (
        <button type="button" className="button button-primary" disabled={busy} onClick={() => void apply(imported.id)}>
          Apply {packageName(imported)} to {environment}
        </button>
      )}
      {imported && <span role="status">Imported into the asset library as package {imported.id}.</span>}
      {error && <ErrorNotice error={error} />}
    </div>
  );
}
