-- Notifications: who is told when an operation starts, succeeds, fails or leaves something
-- for a person to do. A subscription is a webhook (an HTTPS or HTTP URL, signed with its own
-- secret) or an e-mail address, for the whole project (environment_id null) or one
-- environment. Its signing secret is sealed with the project's secret key, like connection
-- secrets; it is shown once, when the subscription is added.
create table dataalm.notification_subscriptions (
  id bigint generated always as identity primary key,
  channel text not null check (channel in ('webhook', 'email')),
  -- The webhook's URL or the e-mail address.
  address text not null check (length(address) between 3 and 2048),
  environment_id bigint references dataalm.environments (id) on delete cascade,
  events text[] not null check (cardinality(events) > 0 and events <@ array['started', 'succeeded', 'failed', 'needs-action']),
  secret bytea,
  created_by text not null,
  created_at timestamptz not null default now(),
  check ((channel = 'webhook') = (secret is not null))
);

create index notification_subscriptions_environment on dataalm.notification_subscriptions (environment_id);

-- One notification to one subscription: its body is fixed when the event happens, so every
-- attempt sends the same bytes (and the same signature). A job of the queue carries it;
-- pending ones without a job (a process that stopped between the two) are queued again.
create table dataalm.notification_deliveries (
  id bigint generated always as identity primary key,
  subscription_id bigint not null references dataalm.notification_subscriptions (id) on delete cascade,
  event text not null check (event in ('started', 'succeeded', 'failed', 'needs-action', 'test')),
  -- Null for a test notification.
  operation_id bigint references dataalm.operations (id) on delete set null,
  payload jsonb not null,
  state text not null default 'pending' check (state in ('pending', 'delivered', 'failed')),
  created_at timestamptz not null default now(),
  finished_at timestamptz
);

create index notification_deliveries_subscription on dataalm.notification_deliveries (subscription_id, id desc);
create index notification_deliveries_pending on dataalm.notification_deliveries (created_at) where state = 'pending';

-- Every attempt of a delivery: what the receiver answered (HTTP status) or why it could not
-- be reached. Never the secret, never the SMTP server's credentials.
create table dataalm.notification_attempts (
  delivery_id bigint not null references dataalm.notification_deliveries (id) on delete cascade,
  attempt int not null,
  at timestamptz not null default now(),
  ok boolean not null,
  http_status int,
  error text,
  duration_ms int not null,
  primary key (delivery_id, attempt)
);
