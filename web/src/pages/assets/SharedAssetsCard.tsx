import { useState } from 'react';
import { api, type ApiError, asApiError } from '../../api/client';
import type { Asset, SharedAsset } from '../../api/types';
import { packageName } from '../../assets';
import { Card } from '../../components/Card';
import { ErrorNotice, Loading } from '../../components/Notice';
import { useResource } from '../../useResource';
import { PackageCells, PackageHeadings } from './PackageColumns';
import { TableScroll } from '../../components/TableScroll';

interface SharedAssetsCardProps {
  readonly title: string;
  /** The library as it is now, to tell which shared assets are in it already. */
  readonly library: readonly Asset[] | undefined;
  /** Owners and environment managers import; team members only read. */
  readonly canImport: boolean;
  readonly onImported: (asset: Asset) => void;
}

/** The shared assets that ship with dataalm, each imported into the library with one button. */
export function SharedAssetsCard({ title, library, canImport, onImported }: SharedAssetsCardProps) {
  const shared = useResource<SharedAsset[]>('/api/assets/shared');
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<ApiError>();
  const [imported, setImported] = useState<Asset>();

  const importShared = async (name: string) => {
    setBusy(name);
    setError(undefined);
    setImported(undefined);
    try {
      const asset = await api.post<Asset>('/api/assets', { shared: name });
      setImported(asset);
      onImported(asset);
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(undefined);
    }
  };

  const inLibrary = (name: string) => library?.filter((asset) => asset.shared === name).at(-1);

  return (
    <Card title={title}>
      <p className="muted">Packages that ship with dataalm. Importing one copies it into the asset library, where it can be applied.</p>
      {shared.error && <ErrorNotice error={shared.error} />}
      {shared.loading && <Loading what="the shared assets" />}
      {error && <ErrorNotice error={error} title="The shared asset was not imported." />}
      <p role="status" className="status-line">
        {imported && `Imported into the asset library as package ${imported.id}: ${packageName(imported)}.`}
      </p>
      {shared.data && shared.data.length === 0 && <p className="empty">No shared assets ship with this installation.</p>}
      {shared.data && shared.data.length > 0 && (
        <TableScroll label={title}>
          <table>
            <thead>
              <tr>
                <th scope="col">Shared asset</th>
                <PackageHeadings />
                <th scope="col">
                  <span className="visually-hidden">In the library</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {shared.data.map((asset) => {
                const there = inLibrary(asset.shared);
                return (
                  <tr key={asset.shared}>
                    <th scope="row">
                      {asset.name}
                      <span className="cell-note">
                        <code>{asset.shared}</code>
                      </span>
                    </th>
                    <PackageCells asset={asset} />
                    <td className="align-end">
                      {there ? (
                        <span className="muted">In the library as package {there.id}</span>
                      ) : (
                        canImport && (
                          <button type="button" className="button" disabled={busy !== undefined} onClick={() => void importShared(asset.shared)}>
                            {busy === asset.shared ? 'Importing…' : 'Import'}
                            <span className="visually-hidden"> {asset.shared}</span>
                          </button>
                        )
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      )}
    </Card>
  );
}
