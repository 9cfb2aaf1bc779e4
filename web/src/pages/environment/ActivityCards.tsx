import { enc } from '../../api/client';
import type { HistoryEntry, Operation } from '../../api/types';
import { Card } from '../../components/Card';
import { ErrorNotice, Loading } from '../../components/Notice';
import { StatusBadge } from '../../components/StatusBadge';
import { describeDetails } from '../../details';
import { appliedPackage, formatDateTime, operationTitle } from '../../format';
import { Link, paths } from '../../router';
import { useResource } from '../../useResource';
import { TableScroll } from '../../components/TableScroll';

export function RecentOperationsCard({ environment }: { readonly environment: string }) {
  const operations = useResource<Operation[]>(`/api/operations?environment=${enc(environment)}&limit=10`);
  return (
    <Card title="Recent operations">
      {operations.error && <ErrorNotice error={operations.error} />}
      {operations.loading && <Loading what="operations" />}
      {operations.data?.length === 0 && <p className="empty">No operation has run on this environment yet.</p>}
      {operations.data && operations.data.length > 0 && (
        <TableScroll label="Recent operations">
          <table>
            <thead>
              <tr>
                <th scope="col">Operation</th>
                <th scope="col">Source or package</th>
                <th scope="col">State</th>
                <th scope="col">Requested by</th>
                <th scope="col">Requested</th>
              </tr>
            </thead>
            <tbody>
              {operations.data.map((operation) => (
                <tr key={operation.id}>
                  <th scope="row">
                    <Link to={paths.operation(operation.id)}>{operationTitle(operation)}</Link>
                  </th>
                  <td>{operation.kind === 'apply' ? capitalized(appliedPackage(operation)) : (operation.source ?? '—')}</td>
                  <td>
                    <StatusBadge status={operation.state} />
                  </td>
                  <td>{operation.requestedBy}</td>
                  <td>{formatDateTime(operation.requestedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </Card>
  );
}

const capitalized = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function HistoryCard({ history }: { readonly history: readonly HistoryEntry[] }) {
  const newestFirst = [...history].reverse();
  return (
    <Card title="History">
      {newestFirst.length === 0 ? (
        <p className="empty">Nothing has happened to this environment yet.</p>
      ) : (
        <TableScroll label="History">
          <table>
            <caption className="visually-hidden">Newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {newestFirst.map((entry, index) => (
                <tr key={`${entry.at}-${index}`}>
                  <td className="nowrap">{formatDateTime(entry.at)}</td>
                  <th scope="row">{entry.event}</th>
                  <td className="details-cell">{describeDetails(entry.details, entry.event)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </Card>
  );
}
