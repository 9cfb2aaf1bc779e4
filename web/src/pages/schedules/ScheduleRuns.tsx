import { useEffect } from 'react';
import type { ScheduleRun } from '../../api/types';
import { ErrorNotice, Loading } from '../../components/Notice';
import { Link, paths } from '../../router';
import { useResource } from '../../useResource';
import { Remedy } from '../../components/Remedy';
import { runWords, viewerTime } from './scheduleWords';

/** A schedule's latest runs, newest first; `version` changes to read them again. */
export function ScheduleRuns({ id, version }: { readonly id: number; readonly version: number }) {
  const runs = useResource<ScheduleRun[]>(`/api/schedules/${id}/runs?limit=5`);
  const { reload } = runs;
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  if (runs.error) return <ErrorNotice error={runs.error} />;
  if (!runs.data) return <Loading what="the runs" />;
  if (runs.data.length === 0) return <p className="empty">No runs yet.</p>;
  return (
    <ul className="plain-list schedule-runs">
      {runs.data.map((run) => (
        <li key={run.id}>
          <span className="nowrap">{viewerTime(run.dueAt)}</span>
          {' — '}
          {run.outcome === 'started' && run.operation !== null ? <Link to={paths.operation(run.operation)}>{runWords(run)}</Link> : <span><Remedy text={runWords(run)} /></span>}
        </li>
      ))}
    </ul>
  );
}
