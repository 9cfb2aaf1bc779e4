import type { Queryable } from '../../ports/database-server.js';

/** A source's columns as one refresh found them: "schema.table.column" → its type. */
export interface ColumnSnapshot {
  readonly operationId: number;
  readonly takenAt: string;
  readonly columns: Readonly<Record<string, string>>;
}

/** Keeps the source's columns of a refresh (again: the last reading wins). */
export async function saveRefreshColumns(pool: Queryable, operationId: number, environment: string, columns: Readonly<Record<string, string>>): Promise<void> {
  await pool.query(
    `insert into dataalm.refresh_columns (operation_id, environment, columns) values ($1, $2, $3)
     on conflict (operation_id) do update set columns = excluded.columns, taken_at = now()`,
    [operationId, environment, JSON.stringify(columns)],
  );
}

/** The columns of the target's last refresh that succeeded, if any. */
export async function lastRefreshColumns(pool: Queryable, environment: string): Promise<ColumnSnapshot | undefined> {
  const result = await pool.query<{ operation_id: string; taken_at: Date; columns: Record<string, string> }>(
    `select c.operation_id, c.taken_at, c.columns
       from dataalm.refresh_columns c join dataalm.operations o on o.id = c.operation_id
      where c.environment = $1 and o.state = 'succeeded'
      order by c.operation_id desc limit 1`,
    [environment],
  );
  const row = result.rows[0];
  return row && { operationId: Number(row.operation_id), takenAt: new Date(row.taken_at).toISOString(), columns: row.columns };
}
