/**
 * The source databases of the huge-catalog benchmark (bench/huge-catalog.ts): many small
 * tables, or one table with many partitions. What matters is the size of the catalog, not of
 * the data, so every table holds three rows.
 *
 * The DDL runs in batches, one transaction each, so building the source never needs more
 * locks than a default server has (max_locks_per_transaction 64): a batch of 250 tables
 * locks about 1,500 relations (table, sequence, TOAST table and its index, two indexes).
 */

/** Runs one statement on the source database in its own transaction. */
export type RunSql = (text: string) => Promise<unknown>;

/** Tables (or partitions) created per transaction. */
const BATCH = 250;

/** table_00001, table_00002, …: zero-padded so the names sort in creation order. */
export function tableName(i: number): string {
  return `table_${String(i).padStart(5, '0')}`;
}

/**
 * `count` tables like an application's: a serial primary key, a few columns, an index on
 * the timestamp, three rows; every fifth table also has a foreign key to the one before it
 * (with rows that satisfy it).
 */
export async function createManyTables(sql: RunSql, count: number, onBatch?: (done: number) => void): Promise<void> {
  for (let from = 1; from <= count; from += BATCH) {
    const to = Math.min(count, from + BATCH - 1);
    await sql(`DO $$
DECLARE
  i int;
  name text;
  parent text;
BEGIN
  FOR i IN ${from}..${to} LOOP
    name := 'table_' || lpad(i::text, 5, '0');
    parent := CASE WHEN i % 5 = 0 AND i > 1 THEN 'table_' || lpad((i - 1)::text, 5, '0') END;
    EXECUTE format(
      'CREATE TABLE public.%I (id serial PRIMARY KEY, name text NOT NULL, amount numeric(12,2), '
      'created_at timestamptz NOT NULL DEFAULT now()%s)',
      name, CASE WHEN parent IS NULL THEN '' ELSE format(', parent_id int REFERENCES public.%I', parent) END);
    EXECUTE format('CREATE INDEX %I ON public.%I (created_at)', name || '_created_at', name);
    EXECUTE format(
      'INSERT INTO public.%I (name, amount%s) SELECT ''row '' || g, g * 1.5%s FROM generate_series(1, 3) g',
      name, CASE WHEN parent IS NULL THEN '' ELSE ', parent_id' END, CASE WHEN parent IS NULL THEN '' ELSE ', g' END);
  END LOOP;
END
$$`);
    onBatch?.(to);
  }
}

/**
 * One partitioned table `events`, listed by tenant, with `count` partitions: a primary key
 * (tenant_id, id) and an index on created_at, both partitioned (so each partition has its
 * own two indexes), and three rows per partition.
 */
export async function createManyPartitions(sql: RunSql, count: number, onBatch?: (done: number) => void): Promise<void> {
  await sql(`CREATE TABLE public.events (
  tenant_id int NOT NULL,
  id bigserial,
  created_at timestamptz NOT NULL DEFAULT now(),
  payload text,
  PRIMARY KEY (tenant_id, id)
) PARTITION BY LIST (tenant_id)`);
  await sql('CREATE INDEX events_created_at ON public.events (created_at)');
  for (let from = 1; from <= count; from += BATCH) {
    const to = Math.min(count, from + BATCH - 1);
    await sql(`DO $$
DECLARE
  i int;
BEGIN
  FOR i IN ${from}..${to} LOOP
    EXECUTE format('CREATE TABLE public.%I PARTITION OF public.events FOR VALUES IN (%s)', 'events_' || lpad(i::text, 5, '0'), i);
  END LOOP;
END
$$`);
    await sql(`INSERT INTO public.events (tenant_id, payload) SELECT t, 'event ' || g FROM generate_series(${from}, ${to}) t, generate_series(1, 3) g`);
    onBatch?.(to);
  }
}
