-- Incidents the monitor detected, as a projection of their remediation workflows. One row per
-- occurrence: the same incident key (the remediation's workflow ID) can recur after it closed, so
-- the row's id adds the remediation's first run ID. `version` comes from the workflow and only
-- grows, so a late retry of an older write never overwrites a newer state.
CREATE TABLE incidents (
  id            text        PRIMARY KEY,
  incident_key  text        NOT NULL,
  workflow_id   text        NOT NULL,
  version       integer     NOT NULL,
  class         text        NOT NULL,
  severity      text        NOT NULL,
  node          text        NOT NULL,
  vmid          integer,
  subject       jsonb       NOT NULL,
  state         text        NOT NULL CHECK (state IN ('open', 'resolved', 'escalated')),
  outcome       text,
  evidence      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  attempts      integer     NOT NULL DEFAULT 0,
  detected_at   timestamptz NOT NULL,
  resolved_at   timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_by_state ON incidents (state, detected_at DESC);
CREATE INDEX incidents_by_key ON incidents (incident_key, detected_at DESC);

-- The incident class of an archived remediation, for the audit list's filter.
CREATE INDEX workflow_archive_by_incident_class ON workflow_archive ((summary->>'incidentClass'));
