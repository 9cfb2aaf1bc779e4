-- Operations on environments (refresh, rollback, restore) and their runbooks. Every step's
-- state lives here, so an operation can be shown, downloaded and resumed from any process.

create table dataalm.operations (
  id bigint generated always as identity primary key,
  kind text not null check (kind in ('refresh', 'restore')),
  environment_id bigint not null references dataalm.environments (id) on delete cascade,
  source_environment_id bigint references dataalm.environments (id) on delete set null,
  -- For a restore: the operation whose breadcrumb is brought back.
  restores_operation_id bigint references dataalm.operations (id) on delete set null,
  state text not null default 'queued'
    check (state in ('queued', 'running', 'succeeded', 'failed', 'canceled', 'rolling-back', 'rolled-back')),
  requested_by text not null,
  requested_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  -- What the request fixed: jobs, verify mode, profile name, names of both environments.
  options jsonb not null default '{}',
  -- Staging and breadcrumb database names per database role; filled in by the runner.
  databases jsonb not null default '{}',
  cancel_requested boolean not null default false,
  -- Set when the cutover begins: from here on the operation can no longer be canceled.
  cutover_started_at timestamptz,
  -- Set once the cutover has swapped the databases: from here on only a rollback undoes it.
  cutover_at timestamptz,
  offline_ms integer,
  verification jsonb,
  error jsonb,
  worker text,
  heartbeat_at timestamptz
);

-- One operation per target at a time, enforced here rather than in any one process.
create unique index operations_one_active_per_environment
  on dataalm.operations (environment_id) where state in ('queued', 'running', 'rolling-back');
create index operations_environment_idx on dataalm.operations (environment_id, id);

create table dataalm.operation_steps (
  operation_id bigint not null references dataalm.operations (id) on delete cascade,
  position integer not null,
  name text not null,
  status text not null default 'pending'
    check (status in ('pending', 'running', 'succeeded', 'failed', 'skipped', 'canceled')),
  started_at timestamptz,
  finished_at timestamptz,
  attempts integer not null default 0,
  counters jsonb not null default '{}',
  primary key (operation_id, position),
  unique (operation_id, name)
);

create table dataalm.operation_log (
  id bigint generated always as identity primary key,
  operation_id bigint not null references dataalm.operations (id) on delete cascade,
  at timestamptz not null default clock_timestamp(),
  step text,
  level text not null check (level in ('info', 'warning', 'error')),
  message text not null,
  data jsonb
);
create index operation_log_operation_idx on dataalm.operation_log (operation_id, id);

-- A database kept under another name when a cutover replaced it: the pre-refresh state,
-- restorable until it expires. The connection to its server is the environment's own.
create table dataalm.breadcrumbs (
  operation_id bigint not null references dataalm.operations (id) on delete cascade,
  role text not null check (role in ('application', 'financialReporting')),
  environment_id bigint not null references dataalm.environments (id) on delete cascade,
  database text not null,
  replaced text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  -- pending: written just before the cutover swaps; kept once it has.
  state text not null default 'kept' check (state in ('pending', 'kept', 'restored', 'dropped')),
  primary key (operation_id, role)
);
