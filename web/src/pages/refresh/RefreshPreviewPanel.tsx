import type { RefreshPreview } from '../../api/types';
import { Card } from '../../components/Card';
import { DetailList } from '../../components/DetailList';
import { ReasonList } from '../../components/Notice';
import { formatBytes, formatDuration } from '../../format';
import { SchemaChecksPanel } from './SchemaChecksPanel';
import { TableScroll } from '../../components/TableScroll';

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

/**
 * The versions that must match: the seed's (release, platform update, financial reporting),
 * shown only for environments that carry them, and the application's schema version when the
 * profile names a query for it.
 */
function versionItems(source: string, target: string, preview: RefreshPreview): (readonly [string, string])[] {
  const items: (readonly [string, string])[] = [];
  for (const [label, side] of [['Versions of', preview.source], ['Versions of', preview.target]] as const) {
    if (side?.applicationRelease === undefined) continue;
    items.push([`${label} ${side.name}`, `release ${side.applicationRelease}, platform update ${side.platformUpdate}, financial reporting ${side.financialReportingVersion}`]);
  }
  if (preview.schemaVersion) {
    const shown = (value: string | null) => value ?? 'not read';
    items.push(['Schema version', `${shown(preview.schemaVersion.source)} in ${source}, ${shown(preview.schemaVersion.target)} in ${target}`]);
  }
  return items;
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
            ...(preview.administrator === undefined ? [] : ([['Becomes the Admin user', preview.administrator]] as const)),
            ['Profile', preview.profile ?? '—'],
            ...versionItems(source, target, preview),
            ['Method', methodText(preview)],
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
        <TableScroll label="Not copied">
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
                    {row.partitions && <div className="muted">in each partition: {row.partitions.join(', ')}</div>}
                    {row.cascaded && <div className="muted">cleared too, since they reference it: {row.cascaded.join(', ')}</div>}
                  </td>
                  <td className="nowrap">{ACTIONS[row.action] ?? row.action}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
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

/** Cloned from the target's mirror (its lag), or copied (and why the mirror is not used). */
function methodText(preview: RefreshPreview): string {
  if (preview.method === 'mirror') {
    const lag = preview.mirror?.lagBytes;
    return `Cloned from the target's mirror (${lag === null || lag === undefined ? 'lag unknown' : `${formatBytes(lag)} behind`}); the data is from the moment the refresh starts`;
  }
  return preview.mirror?.reason ? `Copied: the mirror is not used (${preview.mirror.reason})` : 'Copied from the source';
}
