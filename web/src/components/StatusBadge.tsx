import type { EnvironmentState, OperationState, StepStatus } from '../api/types';

type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';
type Status = EnvironmentState | OperationState | StepStatus | 'production' | 'sandbox';

/** An icon and a word for every status, so none is told by colour alone. */
const STATUSES: Readonly<Record<Status, { readonly icon: string; readonly label: string; readonly tone: Tone }>> = {
  deployed: { icon: '●', label: 'Deployed', tone: 'success' },
  servicing: { icon: '◐', label: 'Servicing', tone: 'info' },
  offline: { icon: '○', label: 'Offline', tone: 'warning' },
  failed: { icon: '✕', label: 'Failed', tone: 'danger' },
  queued: { icon: '…', label: 'Queued', tone: 'neutral' },
  running: { icon: '▶', label: 'Running', tone: 'info' },
  succeeded: { icon: '✓', label: 'Succeeded', tone: 'success' },
  canceled: { icon: '⊘', label: 'Canceled', tone: 'neutral' },
  'rolling-back': { icon: '↺', label: 'Rolling back', tone: 'warning' },
  'rolled-back': { icon: '↺', label: 'Rolled back', tone: 'neutral' },
  pending: { icon: '○', label: 'Pending', tone: 'neutral' },
  skipped: { icon: '–', label: 'Skipped', tone: 'neutral' },
  production: { icon: '◆', label: 'Production', tone: 'warning' },
  sandbox: { icon: '◇', label: 'Sandbox', tone: 'neutral' },
};

export function StatusBadge({ status }: { readonly status: Status }) {
  const { icon, label, tone } = STATUSES[status];
  return (
    <span className={`badge badge-${tone}`}>
      <span aria-hidden="true">{icon}</span> {label}
    </span>
  );
}

export function statusLabel(status: Status): string {
  return STATUSES[status].label;
}
