-- Post-refresh access policy: the users (and groups) of a sandbox's application that a
-- refresh re-enables once its verification has passed, instead of leaving everyone but
-- Admin disabled. One row per environment that has a policy; no row means none.
create table dataalm.environment_access_policies (
  environment_id bigint primary key references dataalm.environments (id) on delete cascade,
  users text[] not null default '{}',
  groups text[] not null default '{}',
  updated_by text not null,
  updated_at timestamptz not null default now()
);
