-- The project's asset library: deployable packages, imported from a manifest file or from
-- the shared assets that ship with dataalm. The manifest is kept as imported, with its
-- scripts inline; the files it puts in document storage (installers) are kept beside it.
create table dataalm.assets (
  id bigint generated always as identity primary key,
  name text not null,
  kind text not null check (kind in ('binary', 'financial-reporting', 'retail', 'reprovisioning-tool')),
  version text not null,
  manifest jsonb not null,
  -- The shared asset it was imported from, if any.
  shared text,
  digest text not null,
  imported_by text not null,
  imported_at timestamptz not null default now()
);
create index assets_name_idx on dataalm.assets (name);
create index assets_digest_idx on dataalm.assets (digest);

create table dataalm.asset_files (
  asset_id bigint not null references dataalm.assets (id) on delete cascade,
  path text not null,
  content bytea not null,
  sha256 text not null,
  primary key (asset_id, path)
);

-- Component versions a package set beyond the three of every environment (e.g. RetailServer),
-- actions a person still has to take (e.g. the reprovisioning tool after a retail refresh),
-- and whether a retail refresh runs the reprovisioning tool itself as its post step.
alter table dataalm.environments
  add column components jsonb not null default '{}',
  add column pending_actions jsonb not null default '[]',
  add column auto_reprovision boolean not null default true;

alter table dataalm.operations drop constraint operations_kind_check;
alter table dataalm.operations add constraint operations_kind_check check (kind in ('refresh', 'restore', 'apply'));
