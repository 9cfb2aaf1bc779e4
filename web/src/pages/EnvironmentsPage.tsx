import { useState } from 'react';
import type { Environment } from '../api/types';
import { ErrorNotice, Loading } from '../components/Notice';
import { Page } from '../components/Page';
import { StatusBadge } from '../components/StatusBadge';
import { Link, paths } from '../router';
import { useSession } from '../session';
import { useResource } from '../useResource';
import { TableScroll } from '../components/TableScroll';
import { AddEnvironmentForm } from './environments/AddEnvironmentForm';

export function EnvironmentsPage() {
  const environments = useResource<Environment[]>('/api/environments');
  const { user } = useSession();
  // Registering an environment is the project owner's (its synchronize command runs on the dataalm host).
  const owner = user.role === 'owner';
  const [adding, setAdding] = useState(false);
  return (
    <Page
      title="Environments"
      subtitle="Production and sandbox environments of this project."
      actions={
        owner &&
        !adding && (
          <button type="button" className="button button-primary" onClick={() => setAdding(true)}>
            Add environment
          </button>
        )
      }
    >
      {adding && <AddEnvironmentForm onCancel={() => setAdding(false)} />}
      {environments.error && <ErrorNotice error={environments.error} />}
      {environments.loading && <Loading what="environments" />}
      {environments.data && (
        <TableScroll label="Environments" className="card table-card">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Tenant</th>
                <th scope="col">Application release</th>
                <th scope="col">Platform update</th>
                <th scope="col">Financial reporting</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {environments.data.map((environment) => (
                <tr key={environment.name}>
                  <th scope="row">
                    <Link to={paths.environment(environment.name)}>{environment.name}</Link>
                  </th>
                  <td>
                    <StatusBadge status={environment.type} />
                  </td>
                  <td>{environment.tenant}</td>
                  <td>{environment.applicationRelease ?? '—'}</td>
                  <td>{environment.platformUpdate ?? '—'}</td>
                  <td>{environment.financialReportingVersion ?? '—'}</td>
                  <td>
                    <StatusBadge status={environment.state} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {environments.data.length === 0 && <p className="empty">No environments yet.{owner ? ' Add one with Add environment.' : ' A project owner adds them.'}</p>}
        </TableScroll>
      )}
    </Page>
  );
}
