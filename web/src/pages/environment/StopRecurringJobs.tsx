import { useState } from 'react';
import { api, type ApiError, asApiError, enc } from '../../api/client';
import type { RecurringJobsStopped } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNotice } from '../../components/Notice';

interface StopRecurringJobsProps {
  readonly environment: string;
  /** The active jobs, as last read, to name in the question. */
  readonly jobs: readonly string[];
  readonly onStopped: (result: RecurringJobsStopped) => void;
}

/**
 * Stop recurring jobs, after a question: the seed's precondition of a refresh (they must be
 * processed and stopped in the target first), met with the profile's own statement (audited).
 */
export function StopRecurringJobs({ environment, jobs, onStopped }: StopRecurringJobsProps) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  const stop = async () => {
    setAsking(false);
    setBusy(true);
    setError(undefined);
    try {
      onStopped(await api.post<RecurringJobsStopped>(`/api/environments/${enc(environment)}/recurring-jobs/stop`));
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <div className="button-row">
        <button type="button" className="button button-primary" disabled={busy} onClick={() => setAsking(true)}>
          {busy ? 'Stopping…' : 'Stop recurring jobs'}
        </button>
      </div>
      {error && <ErrorNotice error={error} title="The recurring jobs were not stopped." />}
      <ConfirmDialog
        open={asking}
        title={`Stop the recurring jobs of ${environment}?`}
        confirmLabel="Stop them"
        onConfirm={() => void stop()}
        onCancel={() => setAsking(false)}
      >
        <p>
          {jobs.length === 1 ? 'This job stops' : `These ${jobs.length} jobs stop`} importing and exporting in {environment}: {jobs.join(', ')}.
          Messages they have not processed yet stay unprocessed. Resume them in {environment} after the refresh. This is recorded in
          the audit log.
        </p>
      </ConfirmDialog>
    </>
  );
}
