import { useId } from 'react';
import type { EnvironmentDetails } from '../../api/types';
import { DATABASE_ROLE_LABELS, REPORTING_COMPONENT, seedVersionItems } from '../../assets';
import { Card } from '../../components/Card';
import { DetailList } from '../../components/DetailList';
import { StatusBadge } from '../../components/StatusBadge';
import { formatDateTime } from '../../format';
import { Link, paths } from '../../router';
import { TableScroll } from '../../components/TableScroll';
import { Remedy } from '../../components/Remedy';
import { PendingActionButtons } from './PendingActionButtons';

export function OverviewCard({ environment }: { readonly environment: EnvironmentDetails }) {
  return (
    <Card title="Overview">
      <DetailList
        items={[
          ['Type', <StatusBadge status={environment.type} />],
          ['State', <StatusBadge status={environment.state} />],
          ['Tenant', environment.tenant],
          ['Environment Administrator', environment.administrator],
          ['Profile', environment.profile],
          ['Retail', environment.retail ? 'Yes' : 'No'],
          ...(environment.retail
            ? ([
                ['Reprovisioning after a refresh', environment.autoReprovision ? 'Automatic' : 'By hand'],
                ['Self-service installers', <Installers names={environment.installers} />],
              ] as const)
            : []),
          ['Document storage', environment.documentStorage ?? 'None'],
          ['Updated', formatDateTime(environment.updatedAt)],
        ]}
      />
    </Card>
  );
}

/** What each component of detailed version information is. */
const COMPONENTS: Readonly<Record<string, string>> = {
  ApplicationSuite: 'Application release',
  ApplicationPlatform: 'Platform update',
  [REPORTING_COMPONENT]: 'Financial reporting',
  RetailServer: 'Retail',
  EnvironmentReprovisioningTool: 'Retail reprovisioning',
};

/** Detailed version information: every component with its version, the PostgreSQL servers last. */
export function VersionsCard({ environment }: { readonly environment: EnvironmentDetails }) {
  const components = environment.versions?.components ?? [];
  return (
    <Card title="Detailed version information">
      {components.length === 0 ? (
        <DetailList items={seedVersionItems(environment)} />
      ) : (
        <TableScroll label="Detailed version information">
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
                  <th scope="row">
                    {component.name}
                    {COMPONENTS[component.name] && <span className="cell-note">{COMPONENTS[component.name]}</span>}
                  </th>
                  <td>{component.version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </Card>
  );
}

function Installers({ names }: { readonly names: readonly string[] }) {
  if (names.length === 0) return <>None in document storage</>;
  return (
    <ul className="plain-list">
      {names.map((name) => (
        <li key={name}>
          <code>{name}</code>
        </li>
      ))}
    </ul>
  );
}

/** What a person still has to do on the environment, above everything else on its page. */
export function PendingActionsNotice({ environment }: { readonly environment: EnvironmentDetails }) {
  const id = useId();
  if (environment.pendingActions.length === 0) return null;
  return (
    <section className="notice notice-warning" aria-labelledby={id}>
      <h2 id={id} className="notice-title">
        Pending actions on {environment.name}
      </h2>
      <ul className="reasons">
        {environment.pendingActions.map((action) => (
          <li key={`${action.code}-${action.since}`}>
            {action.message}
            <span className="remedy">
              What to do: <Remedy text={action.remedy} />
            </span>
            <PendingActionButtons action={action} environment={environment.name} type={environment.type} />
            <span className="cell-note">
              Since {formatDateTime(action.since)}
              {action.operation !== null && (
                <>
                  {' · '}
                  <Link to={paths.operation(action.operation)}>operation #{action.operation}</Link>
                </>
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function DatabasesCard({ environment }: { readonly environment: EnvironmentDetails }) {
  return (
    <Card title="Databases">
      <TableScroll label="Databases">
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
                <th scope="row">{DATABASE_ROLE_LABELS[database.role]}</th>
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
      </TableScroll>
    </Card>
  );
}
