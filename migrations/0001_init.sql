-- The control data of one dataalm project. Everything lives in schema "dataalm" so the
-- control database may be shared with other applications (DATAALM_DATABASE_URL mode).

create table dataalm.settings (
  key text primary key,
  value jsonb not null
);

create table dataalm.environments (
  id bigint generated always as identity primary key,
  name text not null unique check (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  type text not null check (type in ('production', 'sandbox')),
  tenant text not null,
  administrator text not null,
  application_release text not null,
  platform_update integer not null check (platform_update >= 0),
  financial_reporting_version text not null,
  retail boolean not null default false,
  profile text not null,
  document_storage text,
  sync_command text,
  state text not null default 'deployed' check (state in ('deployed', 'servicing', 'offline', 'failed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One row per database of an environment. The whole connection URL (with its password) is
-- kept only encrypted in "secret"; the other columns are what anyone may see.
create table dataalm.environment_databases (
  environment_id bigint not null references dataalm.environments (id) on delete cascade,
  role text not null check (role in ('application', 'financialReporting')),
  host text not null,
  port integer not null,
  database text not null,
  username text not null,
  secret bytea not null,
  primary key (environment_id, role)
);

create table dataalm.environment_history (
  id bigint generated always as identity primary key,
  environment_id bigint not null references dataalm.environments (id) on delete cascade,
  at timestamptz not null default now(),
  event text not null,
  details jsonb not null default '{}'
);
create index environment_history_environment_idx on dataalm.environment_history (environment_id, at);

create table dataalm.audit_log (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  target text,
  details jsonb not null default '{}'
);
