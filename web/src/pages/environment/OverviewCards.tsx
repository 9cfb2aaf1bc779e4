import type { EnvironmentDetails } from '../../api/types';
import { Card } from '../../components/Card';
import { DetailList } from '../../components/DetailList';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDateTime } from '../../format';

const DATABASE_ROLES = { application: 'Application', financialReporting: 'Financial reporting' } as const;

export function OverviewCard({ environment }: { readonly environment: EnvironmentDetails }) {
  return (
    <Card title="Overview">
      <DetailList
        items={[
          ['Type', <StatusBadge status={environment.type} />],
          ['State', <StatusBadge status={environment.state} />],
          ['Tenant', environment.tenant],
          ['Administrator', environment.administrator],
          ['Profile', environment.profile],
          ['Retail', environment.retail ? 'Yes' : 'No'],
          ['Document storage', environment.documentStorage ?? 'None'],
          ['Updated', formatDateTime(environment.updatedAt)],
        ]}
      />
    </Card>
  );
}

export function VersionsCard({ environment }: { readonly environment: EnvironmentDetails }) {
  const components = environment.versions?.components ?? [];
  return (
    <Card title="Versions">
      <DetailList
        items={[
          ['Application release', environment.applicationRelease],
          ['Platform update', environment.platformUpdate],
          ['Financial reporting', environment.financialReportingVersion],
        ]}
      />
      {components.length > 0 && (
        <details className="disclosure">
          <summary>Detailed version information</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">Component</th>
                <th scope="col">Version</th>
              </tr>
            </thead>
            <tbody>
              {components.map((component) => (
                <tr key={component.name}>
                  <th scope="row">{component.name}</th>
                  <td>{component.version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </Card>
  );
}

export function DatabasesCard({ environment }: { readonly environment: EnvironmentDetails }) {
  return (
    <Card title="Databases">
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Host</th>
              <th scope="col">Port</th>
              <th scope="col">Database</th>
              <th scope="col">User</th>
            </tr>
          </thead>
          <tbody>
            {environment.databases.map((database) => (
              <tr key={database.role}>
                <th scope="row">{DATABASE_ROLES[database.role]}</th>
                <td>{database.host}</td>
                <td>{database.port}</td>
                <td>
                  <code>{database.database}</code>
                </td>
                <td>
                  <code>{database.user}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
