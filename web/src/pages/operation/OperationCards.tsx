import { useEffect, useRef } from 'react';
import type { Operation, StepStatus, VerificationReport } from '../../api/types';
import { Card } from '../../components/Card';
import { DetailList } from '../../components/DetailList';
import { changeText, kindLabel, type VersionChange } from '../../assets';
import { formatBytes, formatDateTime, formatDuration } from '../../format';
import { Link, paths } from '../../router';
import { TableScroll } from '../../components/TableScroll';

/** How long the target did not accept connections, once the cutover has happened. */
export function OfflineWindowCard({ operation }: { readonly operation: Operation }) {
  return (
    <Card title="Offline window">
      {operation.offlineMs === null ? (
        <p>
          {operation.cutoverStartedAt
            ? 'The cutover is under way.'
            : `${operation.environment} stays online until the cutover: the copy is built in a staging database.`}
        </p>
      ) : (
        <DetailList
          items={[
            ['Offline for', <strong>{formatDuration(operation.offlineMs)}</strong>],
            ['Cutover started', formatDateTime(operation.cutoverStartedAt)],
            ['Cut over', formatDateTime(operation.cutoverAt)],
          ]}
        />
      )}
      <MethodLine operation={operation} />
    </Card>
  );
}

/** Whether the data was cloned from the target's mirror (its lag, the moment the data is from) or copied. */
function MethodLine({ operation }: { readonly operation: Operation }) {
  const data = operation.steps.find((step) => step.name === 'data')?.counters as { method?: string; lagBytes?: number; dataFrom?: string | null; fileCopy?: string } | undefined;
  if (data?.method === 'mirror') {
    return (
      <p>
        {data.fileCopy === 'spare' ? 'Taken from the spare of the target’s mirror, nothing copied' : 'Cloned from the target’s mirror'} ({formatBytes(data.lagBytes ?? 0)} behind when
        paused); the data is as of{' '}
        {data.dataFrom ? formatDateTime(data.dataFrom) : 'an unknown moment (the mirror had not caught up)'}.
      </p>
    );
  }
  return data?.method === 'copy' ? <p>Copied from the source, from one snapshot.</p> : null;
}

/** The package an apply operation applies, and the versions it sets (or set). */
export function PackageCard({ operation }: { readonly operation: Operation }) {
  const { package: id, packageName: name, packageKind: kind, packageVersion: version } = operation.options;
  const versions = operation.steps.find((step) => step.name === 'versions' && step.status === 'succeeded');
  const validated = operation.steps.find((step) => step.name === 'validate' && step.status === 'succeeded');
  const changes = asChanges(versions?.counters?.changes) ?? asChanges(validated?.counters?.changes);
  return (
    <Card title="Package">
      <DetailList
        items={[
          ['Package', <Link to={paths.assets}>{typeof id === 'number' ? `Package ${id}` : 'In the asset library'}</Link>],
          ['Name', typeof name === 'string' ? name : '—'],
          ['Kind', typeof kind === 'string' ? kindLabel(kind) : '—'],
          ['Version', typeof version === 'string' ? version : '—'],
          [
            versions ? 'Versions set' : 'Versions it sets',
            changes === undefined ? (
              <span className="muted">Known once the package is validated.</span>
            ) : changes.length === 0 ? (
              'None'
            ) : (
              <ul className="compact-list">
                {changes.map((change) => (
                  <li key={change.field}>{changeText(change)}</li>
                ))}
              </ul>
            ),
          ],
        ]}
      />
    </Card>
  );
}

/** A step's `changes` counter, when it has that shape. */
function asChanges(value: unknown): VersionChange[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(
    (item): item is VersionChange =>
      typeof item === 'object' && item !== null && typeof item.field === 'string' && typeof item.to === 'string' && (item.from === null || typeof item.from === 'string'),
  );
}

/** Why there is no report yet, or none at all: by the verify step's status. */
const NO_REPORT: Readonly<Record<StepStatus, string>> = {
  pending: 'The report is written by the verify step.',
  running: 'The verify step is writing the report.',
  succeeded: 'The verify step wrote no report.',
  failed: 'No report: the verify step failed (its reason is in the log).',
  skipped: 'No report: the operation ended before the verify step.',
  canceled: 'No report: the operation ended before the verify step.',
};

interface VerificationCardProps {
  readonly report: VerificationReport | null;
  /** The verify step's status. */
  readonly verify?: StepStatus | undefined;
  /** Whether the operation has ended (then a step that never ran never will). */
  readonly ended?: boolean;
}

export function VerificationCard({ report, verify = 'pending', ended = false }: VerificationCardProps) {
  const why = ended && (verify === 'pending' || verify === 'running') ? NO_REPORT.skipped : NO_REPORT[verify];
  return (
    <Card title="Verification report">
      {!report ? (
        <p className="muted">{why}</p>
      ) : (
        <>
          <p>
            <strong>{report.passed ? '✓ All checks passed' : '✕ Some checks failed'}</strong>{' '}
            <span className="muted">· {report.checks.length} checks at {formatDateTime(report.checkedAt)}</span>
          </p>
          <TableScroll label="Verification report">
            <table>
              <thead>
                <tr>
                  <th scope="col">Check</th>
                  <th scope="col">Result</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {report.checks.map((check) => (
                  <tr key={check.rule}>
                    <th scope="row">
                      {check.description}
                      <br />
                      <code className="muted">{check.rule}</code>
                    </th>
                    <td className={`nowrap check-${check.status}`}>{check.status === 'passed' ? '✓ Passed' : '✕ Failed'}</td>
                    <td>{check.detail}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </>
      )}
    </Card>
  );
}

export function LogTailCard({ id, log }: { readonly id: number; readonly log: readonly string[] }) {
  const tail = useRef<HTMLPreElement>(null);

  // A tail: the newest line stays in view as lines arrive.
  useEffect(() => {
    const element = tail.current;
    if (element) element.scrollTop = element.scrollHeight;
  }, [log]);

  return (
    <Card
      title="Runbook log"
      actions={
        <a className="button" href={`/api/operations/${id}/logs`} download={`operation-${id}.log`}>
          Download runbook logs
        </a>
      }
    >
      {log.length === 0 ? (
        <p className="muted">No log lines yet.</p>
      ) : (
        <pre ref={tail} className="log" tabIndex={0} role="region" aria-label="Latest runbook log lines">
          {log.join('\n')}
        </pre>
      )}
    </Card>
  );
}
