import type { Runtime } from '../runtime.js';

/**
 * The janitor: drops breadcrumbs whose retention has passed (of one environment, or all),
 * and records it in their operation's log and the environment's history. Returns the names.
 */
export async function pruneBreadcrumbs(runtime: Runtime, environment?: string): Promise<string[]> {
  const expired = await runtime.pool.query<{ operation_id: string; role: 'application' | 'financialReporting'; database: string; environment: string }>(
    `select b.operation_id, b.role, b.database, e.name as environment
       from dataalm.breadcrumbs b join dataalm.environments e on e.id = b.environment_id
      where b.state = 'kept' and b.expires_at <= now() and ($1::text is null or e.name = $1)
      order by b.operation_id, b.role`,
    [environment ?? null],
  );
  const dropped: string[] = [];
  for (const crumb of expired.rows) {
    const urls = await runtime.environments.connectionUrls(crumb.environment);
    const url = urls[crumb.role];
    if (url === undefined) continue;
    await runtime.servers.onServer(url, crumb.role, (server) => server.drop(crumb.database));
    const operation = Number(crumb.operation_id);
    await runtime.operations.setBreadcrumbState(operation, crumb.role, 'dropped');
    await runtime.operations.log(operation, null, 'info', `breadcrumb ${crumb.database} dropped: its retention has passed`);
    await runtime.environments.addHistory(crumb.environment, `breadcrumb of operation ${operation} dropped after its retention`, {
      operation,
      database: crumb.database,
    });
    dropped.push(crumb.database);
  }
  return dropped;
}
