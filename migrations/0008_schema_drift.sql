-- The source's columns as each refresh found them (schema.table.column and type), so the next
-- refresh's preview can show what changed in the source since the target's last refresh.
-- Only the refreshes that succeeded count (joined with dataalm.operations).
create table dataalm.refresh_columns (
  operation_id bigint primary key references dataalm.operations (id) on delete cascade,
  environment text not null,
  columns jsonb not null,
  taken_at timestamptz not null default now()
);
create index refresh_columns_environment_idx on dataalm.refresh_columns (environment, operation_id desc);
