-- Jarvis's own policy, versioned: tier overrides, autonomy levels, protected resources, approval
-- rules and the API's decision-verification key. Workflows load the newest version through an
-- activity (never from their input) and record the version they judged by; every change is a new
-- row saying who changed what and when, the base for "what would this policy have done".
CREATE TABLE policy_versions (
  cluster     text        NOT NULL,
  version     integer     NOT NULL CHECK (version > 0),
  document    jsonb       NOT NULL,
  changed_by  text        NOT NULL,
  change      text        NOT NULL,
  changed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cluster, version)
);
