-- People and programs that use the HTTP API, and where each audited action came from.

create table dataalm.users (
  id bigint generated always as identity primary key,
  name text not null unique check (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  role text not null check (role in ('owner', 'manager', 'member')),
  -- scrypt parameters, salt and key in one self-describing string; never a plain password
  password_hash text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- A login session: only the SHA-256 of the cookie's value is stored, so a copy of this
-- table does not let anyone in. The CSRF token is handed to the page at login.
create table dataalm.sessions (
  id_hash text primary key,
  user_id bigint not null references dataalm.users (id) on delete cascade,
  csrf_token text not null,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  origin text not null
);
create index sessions_user_idx on dataalm.sessions (user_id);

-- API tokens for automation (`Authorization: Bearer ...`); only the SHA-256 is stored.
create table dataalm.api_tokens (
  id bigint generated always as identity primary key,
  user_id bigint not null references dataalm.users (id) on delete cascade,
  name text not null check (length(name) between 1 and 100),
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_tokens_user_idx on dataalm.api_tokens (user_id);

-- "From where": the client address of an HTTP request, or the host of a CLI run.
alter table dataalm.audit_log add column origin text not null default 'unknown';
create index audit_log_at_idx on dataalm.audit_log (at desc);
-- The per-user sign-in limit counts a user's recent failures.
create index audit_log_action_target_idx on dataalm.audit_log (action, target, at);
