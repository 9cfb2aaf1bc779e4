-- Worker processes (dataalm start, dataalm worker) that run operations from the job queue.
-- Each notes when it was last seen; an operation whose runner is silent longer than the
-- lease is taken over by a live worker.
create table dataalm.workers (
  id text primary key,
  host text not null,
  pid integer not null,
  concurrency integer not null,
  started_at timestamptz not null default now(),
  seen_at timestamptz not null default now()
);
