import type { Operation } from '../api/types';
import { Card } from '../components/Card';
import { DetailList } from '../components/DetailList';
import { ErrorNotice, Loading } from '../components/Notice';
import { Page } from '../components/Page';
import { Remedy } from '../components/Remedy';
import { StatusBadge } from '../components/StatusBadge';
import { appliedPackage, elapsed, formatDateTime, formatDuration, operationTitle } from '../format';
import { Link, paths } from '../router';
import { canMaintain, useSession } from '../session';
import { useNow } from '../useNow';
import { LogTailCard, OfflineWindowCard, PackageCard, VerificationCard } from './operation/OperationCards';
import { OperationActions } from './operation/OperationActions';
import { StepList, stepLabel } from './operation/StepList';
import { useOperationStream } from './operation/useOperationStream';

const ACTIVE: readonly Operation['state'][] = ['queued', 'running', 'rolling-back'];

export function OperationPage({ id }: { readonly id: number }) {
  const { user } = useSession();
  const { operation, log, progress, error, update } = useOperationStream(id);
  const active = operation !== undefined && ACTIVE.includes(operation.state);
  const now = useNow(active);

  return (
    <Page
      title={operation ? operationTitle(operation) : `Operation #${id}`}
      subtitle={operation && <OperationSubtitle operation={operation} />}
      actions={operation && canMaintain(user.role) && <OperationActions operation={operation} onChange={update} />}
    >
      {error && <ErrorNotice error={error} />}
      {!operation && !error && <Loading what="the operation" />}
      {operation && (
        <>
          {operation.error && <FailureNotice operation={operation} />}
          <div className="grid">
            <Card title="Summary">
              <DetailList
                items={[
                  ['State', <StatusBadge status={operation.state} />],
                  ['Requested by', operation.requestedBy],
                  ['Requested', formatDateTime(operation.requestedAt)],
                  ['Elapsed', formatElapsed(operation, now)],
                  ...(operation.cancelRequested && active ? ([['Cancel', 'Requested; the operation stops at its next step.']] as const) : []),
                ]}
              />
            </Card>
            {operation.kind === 'apply' ? <PackageCard operation={operation} /> : <OfflineWindowCard operation={operation} />}
          </div>
          <StepList operation={operation} progress={progress} now={now} />
          {operation.kind !== 'apply' && (
            <VerificationCard report={operation.verification} verify={operation.steps.find((step) => step.name === 'verify')?.status} ended={operation.state !== 'queued' && operation.state !== 'running'} />
          )}
          <LogTailCard id={operation.id} log={log} />
        </>
      )}
    </Page>
  );
}

function OperationSubtitle({ operation }: { readonly operation: Operation }) {
  const target = <Link to={paths.environment(operation.environment)}>{operation.environment}</Link>;
  if (operation.kind === 'apply') {
    return (
      <>
        Apply {appliedPackage(operation)} to {target}
      </>
    );
  }
  if (operation.kind === 'restore') {
    return (
      <>
        Restore of {target} to its state before{' '}
        {operation.restoresOperation === null ? 'a refresh' : <Link to={paths.operation(operation.restoresOperation)}>refresh #{operation.restoresOperation}</Link>}
      </>
    );
  }
  return (
    <>
      Refresh of {target} from {operation.source ?? 'its source'}
    </>
  );
}

const ENDINGS: Partial<Record<Operation['state'], string>> = {
  canceled: 'Canceled',
  'rolling-back': 'Failed, being rolled back',
  'rolled-back': 'Failed and rolled back',
};

function FailureNotice({ operation }: { readonly operation: Operation }) {
  const failure = operation.error;
  if (!failure) return null;
  const ending = ENDINGS[operation.state] ?? 'Failed';
  return (
    <div className="notice notice-danger" role="alert">
      <p className="notice-title">
        {failure.step ? `${ending} at “${stepLabel(failure.step, operation.kind)}”` : ending} ({failure.code})
      </p>
      <p>{failure.message}</p>
      <FailureRemedy operation={operation} remedy={failure.remedy} />
      {operation.kind === 'apply' && operation.state === 'failed' && (
        <p>
          A package is not rolled back: the versions of {operation.environment} are unchanged.{' '}
          <Link to={paths.apply(operation.environment)}>Apply updates to {operation.environment}</Link>
        </p>
      )}
    </div>
  );
}

/**
 * What to do about a failure, in the UI's terms: the runbook logs first, then Rollback (both
 * at the top of the page); nothing more once it is rolled back. An apply's remedy names
 * Apply updates.
 */
function FailureRemedy({ operation, remedy }: { readonly operation: Operation; readonly remedy: string | undefined }) {
  const env = operation.environment;
  const logs = (
    <a href={`/api/operations/${operation.id}/logs`} download={`operation-${operation.id}.log`}>
      Download the runbook logs
    </a>
  );
  if (operation.kind === 'apply') {
    return remedy ? (
      <p className="remedy">
        What to do: <Remedy text={remedy} />
      </p>
    ) : null;
  }
  switch (operation.state) {
    case 'failed':
      return (
        <p className="remedy">
          What to do: {logs} to find the cause, then choose Rollback:{' '}
          {operation.cutoverAt ? `the databases ${env} had before are swapped back.` : `the staging databases are removed; ${env} was not touched.`}
        </p>
      );
    case 'rolling-back':
      return <p className="remedy">The rollback is under way. {logs} at any time.</p>;
    case 'rolled-back':
      return (
        <p className="remedy">
          Nothing is left to undo: {env} is as it was before this operation. {logs} to find the cause before trying again.
        </p>
      );
    default:
      return remedy ? (
        <p className="remedy">
          What to do: <Remedy text={remedy} />
        </p>
      ) : null;
  }
}

function formatElapsed(operation: Operation, now: number): string {
  const ms = elapsed(operation.startedAt, operation.finishedAt, now);
  return ms === null ? 'Not started' : formatDuration(ms);
}
