-- Jarvis's own tables. Temporal histories are the source of truth; these are projections
-- for fast listing and the archive that outlives Temporal's retention.

-- Every domain step of every workflow. Writes come from activities and are idempotent:
-- (workflow_id, activity_id) is the key, so a retried activity cannot add a second row.
CREATE TABLE audit_events (
  id          bigserial PRIMARY KEY,
  workflow_id text        NOT NULL,
  activity_id text        NOT NULL,
  kind        text        NOT NULL,
  title       text        NOT NULL,
  actor       text,
  node        text,
  vmid        integer,
  detail      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  at          timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT audit_events_idempotency UNIQUE (workflow_id, activity_id)
);
CREATE INDEX audit_events_by_workflow ON audit_events (workflow_id, at);
CREATE INDEX audit_events_by_time ON audit_events (at DESC);

-- Approvals as a projection of the workflows that wait for them. `version` comes from the
-- workflow and only ever grows, so a late retry of an older snapshot never overwrites a newer one.
CREATE TABLE approvals (
  id            text        PRIMARY KEY,
  workflow_id   text        NOT NULL,
  version       integer     NOT NULL,
  state         text        NOT NULL CHECK (state IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
  tier          text        NOT NULL CHECK (tier IN ('YELLOW', 'RED')),
  action        text        NOT NULL,
  target        jsonb       NOT NULL,
  resource_name text        NOT NULL,
  reason        text,
  requested_by  jsonb       NOT NULL,
  requested_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  fingerprint   text        NOT NULL,
  blast_radius  jsonb       NOT NULL,
  two_person    boolean     NOT NULL,
  decisions     jsonb       NOT NULL DEFAULT '[]'::jsonb,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX approvals_by_state ON approvals (state, requested_at DESC);
CREATE INDEX approvals_by_workflow ON approvals (workflow_id);

-- Closed workflows with their full Temporal history, for audit and replay.
CREATE TABLE workflow_archive (
  workflow_id  text        NOT NULL,
  run_id       text        NOT NULL,
  kind         text        NOT NULL,
  status       text        NOT NULL,
  outcome      text,
  node         text,
  vmid         integer,
  action       text,
  requested_by text,
  started_at   timestamptz,
  closed_at    timestamptz,
  summary      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  history      jsonb       NOT NULL,
  archived_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, run_id)
);
CREATE INDEX workflow_archive_by_time ON workflow_archive (closed_at DESC);
CREATE INDEX workflow_archive_by_target ON workflow_archive (node, vmid);
CREATE INDEX workflow_archive_by_kind ON workflow_archive (kind, outcome);

-- Operator settings: the kill switch, autonomy levels per incident class, tier overrides.
CREATE TABLE settings (
  key        text        PRIMARY KEY,
  value      jsonb       NOT NULL,
  updated_by text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO settings (key, value) VALUES
  ('kill_switch', '{"engaged": false}'::jsonb),
  ('autonomy', '{"vm-crashed": "L3", "node-down": "L3", "service-down": "L3", "disk-high": "L2"}'::jsonb),
  ('tier_overrides', '{}'::jsonb);

-- An outbox of closed (or closing) workflows whose history the worker still has to archive.
-- The workflow enqueues itself as its last step; the worker's archiver drains the queue once
-- Temporal reports the run closed. Keyed by run, so enqueueing twice is harmless.
CREATE TABLE archive_queue (
  workflow_id  text        NOT NULL,
  run_id       text        NOT NULL,
  kind         text        NOT NULL,
  summary      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  enqueued_at  timestamptz NOT NULL DEFAULT now(),
  attempts     integer     NOT NULL DEFAULT 0,
  next_try_at  timestamptz NOT NULL DEFAULT now(),
  last_error   text,
  PRIMARY KEY (workflow_id, run_id)
);
