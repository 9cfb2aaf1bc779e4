-- Schedules: a refresh of a sandbox from a source at the times of a cron expression, read in
-- an IANA time zone. A schedule runs as the account that created it, through the same
-- preflight as a refresh request. The worker that finds one due claims it by moving
-- next_run_at on (compare-and-set), so each due time fires once whatever the number of workers.
create table dataalm.schedules (
  id bigint generated always as identity primary key,
  environment_id bigint not null references dataalm.environments (id) on delete cascade,
  source_id bigint not null references dataalm.environments (id) on delete cascade,
  -- Five fields: minute hour day-of-month month day-of-week.
  cron text not null,
  timezone text not null,
  -- The account it runs as: a user of the HTTP API, or the operating-system user of a local CLI run.
  created_by text not null,
  created_origin text not null,
  created_by_kind text not null check (created_by_kind in ('user', 'host')),
  paused boolean not null default false,
  -- The next time it fires; null while it is paused.
  next_run_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (paused or next_run_at is not null)
);
create index schedules_due_idx on dataalm.schedules (next_run_at) where not paused;

-- What each due time of a schedule did: started a refresh (its operation), was skipped (the
-- target was busy), or was refused (the preflight's reasons, or the creator may no longer).
create table dataalm.schedule_runs (
  id bigint generated always as identity primary key,
  schedule_id bigint not null references dataalm.schedules (id) on delete cascade,
  due_at timestamptz not null,
  fired_at timestamptz not null default now(),
  outcome text not null check (outcome in ('started', 'skipped', 'refused')),
  operation_id bigint references dataalm.operations (id) on delete set null,
  -- The first reason's code (a refusal code, or an error code) and every reason in words.
  code text,
  reason text,
  unique (schedule_id, due_at)
);
create index schedule_runs_schedule_idx on dataalm.schedule_runs (schedule_id, id desc);
