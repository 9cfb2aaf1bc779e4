import type { RefreshPreview } from '../../api/types';
import { Card } from '../../components/Card';
import { DetailList } from '../../components/DetailList';
import { ReasonList } from '../../components/Notice';
import { formatBytes, formatDuration } from '../../format';
import { SchemaChecksPanel } from './SchemaChecksPanel';

/** What a profile rule does with a table's rows. */
const ACTIONS: Readonly<Record<string, string>> = {
  clear: 'Emptied',
  mask: 'Masked',
  'keep-target': 'Kept from the target',
};

interface RefreshPreviewPanelProps {
  readonly source: string;
  readonly target: string;
  readonly preview: RefreshPreview;
}

/** What the refresh will do: warnings, what is not copied, what happens afterwards. */
export function RefreshPreviewPanel({ source, target, preview }: RefreshPreviewPanelProps) {
  return (
    <>
      {preview.refused && (
        <div className="notice notice-danger" role="alert">
          <p className="notice-title">
            {target} cannot be refreshed from {source} now.
          </p>
          <ReasonList reasons={preview.reasons} />
        </div>
      )}
      {preview.warnings.length > 0 && (
        <div className="notice notice-warning">
          <p className="notice-title">Warnings</p>
          <ul>
            {preview.warnings.map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </div>
      )}
      <Card title="Summary">
        <DetailList
          items={[
            ['Copy from', source],
            ['Replace the data of', target],
            ['Becomes the Admin user', preview.administrator ?? '—'],
            ['Profile', preview.profile ?? '—'],
            ...(preview.estimate
              ? ([['Estimate', `${formatBytes(preview.estimate.bytes)}, about ${formatDuration(preview.estimate.seconds * 1000)}`]] as const)
              : []),
          ]}
        />
        <p>{preview.notice}</p>
      </Card>
      <Card title="Not copied">
        <p className="muted">
          These elements are environment-specific: they are cleared or kept from {target} instead of being copied from {source}.
        </p>
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">Table</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {preview.notCopied.map((row) => (
                <tr key={`${row.table}-${row.action}-${row.element}`}>
                  <th scope="row">{row.element}</th>
                  <td>
                    <code>{row.table}</code>
                  </td>
                  <td className="nowrap">{ACTIONS[row.action] ?? row.action}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <SchemaChecksPanel target={target} preview={preview} />
      <Card title="Afterwards">
        <ol className="plain-list">
          {preview.afterwards.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ol>
      </Card>
    </>
  );
}
