import type { Operation, Progress, Step } from '../../api/types';
import { Card } from '../../components/Card';
import { StatusBadge, statusLabel } from '../../components/StatusBadge';
import { elapsed, formatBytes, formatDuration } from '../../format';

const STEP_LABELS: Readonly<Record<string, string>> = {
  validate: 'Validate the request',
  prepare: 'Prepare the staging database',
  schema: 'Create the schema',
  data: 'Copy the data',
  'keep-target': 'Keep the target’s own records',
  constraints: 'Create indexes and constraints',
  sanitize: 'Sanitize',
  synchronize: 'Synchronize',
  verify: 'Verify',
  cutover: 'Cut over',
  post: 'After the refresh',
};

/** An apply's steps: the package's scripts, its files, the versions it sets. */
const APPLY_STEP_LABELS: Readonly<Record<string, string>> = {
  validate: 'Validate the package',
  scripts: 'Run the package’s scripts',
  files: 'Put its files in document storage',
  versions: 'Set the versions',
  post: 'After the update',
};

export const stepLabel = (name: string, kind?: Operation['kind']) => (kind === 'apply' ? APPLY_STEP_LABELS[name] : undefined) ?? STEP_LABELS[name] ?? name;

interface StepListProps {
  readonly operation: Operation;
  readonly progress: Progress | undefined;
  readonly now: number;
}

/** The runbook: every step with its status (icon and word) and elapsed time, announced as it changes. */
export function StepList({ operation, progress, now }: StepListProps) {
  const current = operation.steps.find((step) => step.status === 'running' || step.status === 'failed');
  return (
    <Card title="Runbook">
      <p className="visually-hidden" aria-live="polite">
        {current ? `${stepLabel(current.name, operation.kind)}: ${statusLabel(current.status)}` : `Operation ${statusLabel(operation.state)}`}
      </p>
      <ol className="steps">
        {operation.steps.map((step) => (
          <li key={step.position} className={`step step-${step.status}`}>
            <div className="step-line">
              <span className="step-name">
                {step.position}. {stepLabel(step.name, operation.kind)}
              </span>
              <StatusBadge status={step.status} />
              <StepTime step={step} now={now} />
            </div>
            {step.status === 'running' && progress?.step === step.name && <StepProgress progress={progress} />}
          </li>
        ))}
      </ol>
    </Card>
  );
}

function StepTime({ step, now }: { readonly step: Step; readonly now: number }) {
  const ms = elapsed(step.startedAt, step.finishedAt, now);
  if (ms === null) return <span className="step-time" />;
  return (
    <span className="step-time">
      {formatDuration(ms)}
      {step.attempts > 1 && ` · attempt ${step.attempts}`}
    </span>
  );
}

function StepProgress({ progress }: { readonly progress: Progress }) {
  const id = `progress-${progress.step}`;
  const percent = progress.total > 0 ? Math.min(100, Math.round((progress.done / progress.total) * 100)) : 0;
  const parts = [
    `${percent}%`,
    `${formatBytes(progress.done)} of ${formatBytes(progress.total)}`,
    `${progress.tablesDone} of ${progress.tablesTotal} tables`,
    `${progress.rows.toLocaleString()} rows`,
    `${progress.mbPerSecond} MiB/s`,
    ...(progress.etaSeconds === null ? [] : [`about ${formatDuration(progress.etaSeconds * 1000)} left`]),
  ];
  return (
    <div className="step-progress">
      <label htmlFor={id}>{parts.join(' · ')}</label>
      <progress id={id} max={progress.total || 1} value={Math.min(progress.done, progress.total)} />
      {progress.detail && <span>Last table copied: {progress.detail}</span>}
    </div>
  );
}
