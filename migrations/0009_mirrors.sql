-- Mirrors: on a sandbox's server, a database kept current from its source by logical
-- replication, with the sandbox's profile applied as rows arrive; a refresh clones it.
-- One per target environment. The names of the objects on the source (publication,
-- replication slot) and on the target's server (subscription, database) are kept, so a
-- mirror can always be taken down again, even after a failure half-way.
create table dataalm.mirrors (
  environment_id bigint primary key references dataalm.environments (id) on delete cascade,
  source_id bigint not null references dataalm.environments (id) on delete cascade,
  -- seeding: being set up; streaming: in use; failed: set-up or replication failed (see
  -- last_error); dropped: taken down because its lag passed the limit.
  state text not null check (state in ('seeding', 'streaming', 'failed', 'dropped')),
  database text not null,
  publication text not null,
  slot text not null,
  subscription text not null,
  max_lag_bytes bigint not null,
  -- The source's schema (catalog fingerprint) and the profile the mirror was seeded with:
  -- DDL is not replicated, masks are applied as the profile said then.
  schema_fingerprint text,
  profile_fingerprint text not null,
  -- Which tables are replicated, copied at refresh time (with why), or not mirrored.
  tables jsonb not null default '{}',
  -- A refresh has paused the subscription (operation id): a crash leaves it paused, and the
  -- next check resumes it.
  paused_by bigint,
  seeded_at timestamptz,
  warned_at timestamptz,
  last_error text,
  created_by text not null,
  updated_at timestamptz not null default now()
);
