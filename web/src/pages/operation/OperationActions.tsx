import { useState } from 'react';
import { api, type ApiError, asApiError, enc } from '../../api/client';
import type { Operation } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorNotice } from '../../components/Notice';
import { navigate, paths } from '../../router';

type Action = 'cancel' | 'rollback' | 'restore';

interface OperationActionsProps {
  readonly operation: Operation;
  /** The operation's new state after a cancel or rollback. */
  readonly onChange: (operation: Operation) => void;
}

/**
 * Cancel (before the cutover); Rollback of a failed operation, with the runbook logs to
 * download first (the seed: download them before you start the rollback); and Restore of a
 * succeeded refresh, which brings back the databases it replaced (its breadcrumbs) as a new
 * operation. As in the seed and the CLI, Rollback is for a failure only (dataalm op rollback
 * refuses a succeeded refresh and names env restore). An apply is never rolled back: a
 * failed one is fixed by applying the package again.
 */
export function OperationActions({ operation, onChange }: OperationActionsProps) {
  const [asking, setAsking] = useState<Action>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  const available: Action[] = [];
  if ((operation.state === 'queued' || operation.state === 'running') && !operation.cutoverStartedAt && !operation.cancelRequested) {
    available.push('cancel');
  }
  if (operation.state === 'failed' && operation.kind !== 'apply') available.push('rollback');
  if (operation.state === 'succeeded' && operation.kind === 'refresh') available.push('restore');

  const run = async (action: Action) => {
    setAsking(undefined);
    setBusy(true);
    setError(undefined);
    try {
      if (action === 'restore') {
        const { operation: restore } = await api.post<{ operation: Operation }>(`/api/environments/${enc(operation.environment)}/restore`, {
          operation: operation.id,
        });
        navigate(paths.operation(restore.id));
        return;
      }
      onChange(await api.post<Operation>(`/api/operations/${operation.id}/${action}`));
    } catch (reason) {
      setError(asApiError(reason));
    } finally {
      setBusy(false);
    }
  };

  if (available.length === 0 && !error) return null;
  const env = operation.environment;

  return (
    <div className="operation-actions">
      <div className="button-row">
        {available.includes('cancel') && (
          <button type="button" className="button" disabled={busy} onClick={() => setAsking('cancel')}>
            Cancel
          </button>
        )}
        {available.includes('rollback') && (
          <>
            <a className="button" href={`/api/operations/${operation.id}/logs`} download={`operation-${operation.id}.log`}>
              Download runbook logs
            </a>
            <button type="button" className="button button-danger" disabled={busy} onClick={() => setAsking('rollback')}>
              Rollback
            </button>
          </>
        )}
        {available.includes('restore') && (
          <button type="button" className="button" disabled={busy} onClick={() => setAsking('restore')}>
            Restore the previous databases
          </button>
        )}
      </div>
      {error && <ErrorNotice error={error} />}
      <ConfirmDialog
        open={asking === 'cancel'}
        title={`Cancel operation #${operation.id}?`}
        confirmLabel="Cancel the operation"
        onConfirm={() => void run('cancel')}
        onCancel={() => setAsking(undefined)}
      >
        {operation.kind === 'apply' ? (
          <p>
            The apply stops before its next step. What its steps did so far stays on {env}; apply the package again to finish.
          </p>
        ) : (
          <p>The copy stops and its staging database is dropped. {env} has not been touched yet and stays as it is.</p>
        )}
      </ConfirmDialog>
      <ConfirmDialog
        open={asking === 'rollback'}
        title={`Roll back operation #${operation.id}?`}
        confirmLabel="Roll back"
        danger
        onConfirm={() => void run('rollback')}
        onCancel={() => setAsking(undefined)}
      >
        <p>
          dataalm undoes what this operation did to {env}: a database swapped in at cutover is replaced again by the one it
          replaced, and the staging database is dropped. The runbook logs stay available.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={asking === 'restore'}
        title={`Restore ${operation.environment} to its state before refresh #${operation.id}?`}
        confirmLabel="Restore"
        danger
        onConfirm={() => void run('restore')}
        onCancel={() => setAsking(undefined)}
      >
        <p>
          {env} gets back the databases it had before this refresh, kept at its cutover as breadcrumbs (a point-in-time
          restore). Everything written to {env} since the refresh is replaced. This runs as a new restore operation with its
          own runbook, and {env} is offline for a moment during its cutover.
        </p>
      </ConfirmDialog>
    </div>
  );
}
