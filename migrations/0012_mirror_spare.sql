-- A mirror's spare: a second database beside the mirror, made from it by a file copy and
-- kept current by a subscription of its own (a copy of the mirror's replication slot). A
-- refresh takes the spare as its new database (a rename: no copy), and a new spare is made
-- in the background. Wanted only when asked for: it costs a second database on the target's
-- server and a second slot decoding the source's WAL.
alter table dataalm.mirrors
  add column spare_wanted boolean not null default false,
  -- null: none; otherwise {"state": "building" | "ready" | "failed", "at": ISO time, "error"?: text}.
  -- Its objects are named after the mirror's (engine/mirror/spare.ts).
  add column spare jsonb;
