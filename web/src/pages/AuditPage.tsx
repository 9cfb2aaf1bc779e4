import type { AuditEntry } from '../api/types';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { describeDetails } from '../details';
import { formatDateTime } from '../format';
import { canReadAudit, useSession } from '../session';
import { useResource } from '../useResource';
import { TableScroll } from '../components/TableScroll';

export function AuditPage() {
  const { user } = useSession();
  const allowed = canReadAudit(user.role);
  const entries = useResource<AuditEntry[]>(allowed ? '/api/audit?limit=100' : null);
  return (
    <Page title="Audit log" subtitle="Every action in dataalm, newest first (the latest 100).">
      {!allowed && <Notice tone="info">Only project owners and environment managers read the audit log.</Notice>}
      {entries.error && <ErrorNotice error={entries.error} />}
      {entries.loading && <Loading what="the audit log" />}
      {entries.data && (
        <TableScroll label="Audit log" className="card table-card">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">From</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.data.map((entry) => (
                <tr key={entry.id}>
                  <td className="nowrap">{formatDateTime(entry.at)}</td>
                  <td>{entry.actor}</td>
                  <th scope="row">{entry.action}</th>
                  <td>{entry.target ?? '—'}</td>
                  <td>{entry.origin}</td>
                  <td className="details-cell">{describeDetails(entry.details, `${entry.action} ${entry.target ?? ''}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {entries.data.length === 0 && <p className="empty">Nothing recorded yet.</p>}
        </TableScroll>
      )}
    </Page>
  );
}
