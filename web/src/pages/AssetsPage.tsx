import type { Asset } from '../api/types';
import { databaseRoleLabel } from '../assets';
import { Card } from '../components/Card';
import { ErrorNotice, Loading } from '../components/Notice';
import { Page } from '../components/Page';
import { formatBytes, formatDateTime } from '../format';
import { canMaintain, useSession } from '../session';
import { useResource } from '../useResource';
import { PackageCells, PackageHeadings } from './assets/PackageColumns';
import { SharedAssetsCard } from './assets/SharedAssetsCard';
import { TableScroll } from '../components/TableScroll';
import { PackageUploadCard } from './assets/PackageUploadCard';

/** The project's deployable packages, and the shared assets to import. */
export function AssetsPage() {
  const { user } = useSession();
  const assets = useResource<Asset[]>('/api/assets');
  return (
    <Page title="Asset library" subtitle="Deployable packages of this project. Apply one to an environment with Maintain › Apply updates.">
      {assets.error && <ErrorNotice error={assets.error} />}
      {assets.loading && <Loading what="the asset library" />}
      {assets.data && (
        <Card title="Packages">
          {assets.data.length === 0 ? (
            <p className="empty">
              No packages yet. Import a shared asset below{user.role === 'owner' ? ', or a package of your own' : ''}.
            </p>
          ) : (
            <TableScroll label="Packages">
              <table>
                <thead>
                  <tr>
                    <th scope="col">ID</th>
                    <th scope="col">Name</th>
                    <PackageHeadings />
                    <th scope="col">Scripts and files</th>
                    <th scope="col">Imported</th>
                  </tr>
                </thead>
                <tbody>
                  {assets.data.map((asset) => (
                    <tr key={asset.id}>
                      <td>{asset.id}</td>
                      <th scope="row">
                        {asset.name}
                        {asset.description && <span className="cell-note">{asset.description}</span>}
                      </th>
                      <PackageCells asset={asset} />
                      <td>
                        <Contents asset={asset} />
                      </td>
                      <td>
                        {asset.importedBy}
                        <span className="cell-note">
                          {formatDateTime(asset.importedAt)}
                          {asset.shared && (
                            <>
                              <br />
                              from shared asset <code>{asset.shared}</code>
                            </>
                          )}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
        </Card>
      )}
      {user.role === 'owner' && <PackageUploadCard onImported={assets.reload} />}
      <SharedAssetsCard title="Shared assets" library={assets.data} canImport={canMaintain(user.role)} onImported={assets.reload} />
    </Page>
  );
}

/** A package's scripts by database and the files it puts in document storage. */
function Contents({ asset }: { readonly asset: Asset }) {
  const scripts = Object.entries(asset.scripts).flatMap(([role, names]) => names.map((name) => `${databaseRoleLabel(role)} database: ${name}`));
  if (scripts.length === 0 && asset.files.length === 0) return <span className="muted">None</span>;
  return (
    <ul className="compact-list">
      {scripts.map((script) => (
        <li key={script}>Script · {script}</li>
      ))}
      {asset.files.map((file) => (
        <li key={file.path}>
          File · <code>{file.path}</code> <span className="muted">({formatBytes(file.bytes)})</span>
        </li>
      ))}
    </ul>
  );
}
