import { useState } from 'react';
import { enc } from '../../api/client';
import type { EnvironmentDetails, RecurringJobs } from '../../api/types';
import { Card } from '../../components/Card';
import { ErrorNotice, Loading } from '../../components/Notice';
import { canMaintain, useSession } from '../../session';
import { useResource } from '../../useResource';
import { StopRecurringJobs } from './StopRecurringJobs';

/**
 * A sandbox's active recurring data-management (import/export) jobs: a refresh into it is
 * refused while there is any, and those who may refresh it stop them here.
 */
export function RecurringJobsCard({ environment }: { readonly environment: EnvironmentDetails }) {
  const { user } = useSession();
  const jobs = useResource<RecurringJobs>(`/api/environments/${enc(environment.name)}/recurring-jobs`);
  const [stopped, setStopped] = useState<readonly string[]>();
  const data = jobs.data;
  if (data && !data.checked) return null;
  const active = data?.active ?? [];
  const mayStop = canMaintain(user.role) && environment.type === 'sandbox' && data?.stoppable === true;

  return (
    <Card title="Recurring data jobs">
      {jobs.error && <ErrorNotice error={jobs.error} />}
      {jobs.loading && <Loading what="the recurring jobs" />}
      <p role="status" className="status-line">
        {stopped && (stopped.length === 0 ? 'No job was active: nothing was stopped.' : `Stopped ${stopped.join(', ')}. Resume them in ${environment.name} after the refresh.`)}
      </p>
      {data?.problem && <p>The recurring jobs could not be read: {data.problem}</p>}
      {data && !data.problem && active.length === 0 && <p>No recurring import or export job is active in {environment.name}.</p>}
      {active.length > 0 && (
        <>
          <p>
            {environment.type === 'sandbox'
              ? `A refresh of ${environment.name} is refused while these import and export jobs are active: they must be processed and stopped first.`
              : 'These import and export jobs are active.'}
          </p>
          <div className="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Unprocessed messages</th>
                </tr>
              </thead>
              <tbody>
                {active.map((job) => (
                  <tr key={job.name}>
                    <th scope="row">{job.name}</th>
                    <td>{job.pending ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {mayStop && (
            <StopRecurringJobs
              environment={environment.name}
              jobs={active.map((job) => job.name)}
              onStopped={(result) => {
                setStopped(result.stopped);
                jobs.reload();
              }}
            />
          )}
        </>
      )}
    </Card>
  );
}
