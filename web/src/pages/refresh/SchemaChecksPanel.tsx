import type { RefreshPreview } from '../../api/types';
import { Card } from '../../components/Card';

interface SchemaChecksPanelProps {
  readonly target: string;
  readonly preview: RefreshPreview;
}

/** A list of schema.table.column names, or nothing when it is empty. */
function Names({ title, names }: { readonly title: string; readonly names: readonly string[] }) {
  if (names.length === 0) return null;
  return (
    <>
      <p>{title}</p>
      <ul>
        {names.map((name) => (
          <li key={name}>
            <code>{name}</code>
          </li>
        ))}
      </ul>
    </>
  );
}

/** The profile's coverage of the source's columns, and how the source changed since the last refresh. */
export function SchemaChecksPanel({ target, preview }: SchemaChecksPanelProps) {
  const { coverage, drift } = preview;
  if (!coverage && !drift) return null;
  const unchanged =
    drift &&
    [drift.addedTables, drift.removedTables, drift.addedColumns, drift.removedColumns, drift.changedColumns].every((list) => list.length === 0);
  return (
    <Card title="Schema checks">
      {coverage && (
        <section aria-label="Profile coverage">
          {coverage.undecided.length === 0 && coverage.unmasked.length === 0 ? (
            <p>Every column of the source is decided by the profile{coverage.strict ? ' (coverage: strict)' : ''}, and none copied unmasked looks like personal data.</p>
          ) : (
            <>
              <Names
                title={`Columns the profile does not decide${coverage.strict ? ' (coverage: strict refuses the refresh)' : ''}:`}
                names={coverage.undecided}
              />
              <Names
                title="Copied unmasked, and they look like personal data:"
                names={coverage.unmasked.map((c) => `${c.column} (${c.kind})`)}
              />
            </>
          )}
        </section>
      )}
      {drift ? (
        <section aria-label="Schema drift">
          <p>
            Changes in the source since {target}'s last refresh (operation {drift.since.operation}, {new Date(drift.since.at).toLocaleString()}):
            {unchanged ? ' none.' : ''}
          </p>
          <Names title="New tables:" names={drift.addedTables} />
          <Names title="Removed tables:" names={drift.removedTables} />
          <Names title="New columns:" names={drift.addedColumns} />
          <Names title="Removed columns:" names={drift.removedColumns} />
          <Names title="Changed types:" names={drift.changedColumns.map((c) => `${c.column}: ${c.from} → ${c.to}`)} />
        </section>
      ) : (
        <p className="muted">{target} has no earlier refresh to compare the source's schema with.</p>
      )}
    </Card>
  );
}
