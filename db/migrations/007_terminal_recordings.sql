-- Terminal session recordings (asciicast v2): one row per session, with who, where and when, and
-- the cast in numbered chunks appended while the session runs, so a crash of the API loses at most
-- the last unflushed second. `bytes` counts the cast's bytes; past the API's per-session cap the
-- recording stops with a truncation marker and `truncated` is set. `search_text` of a chunk holds
-- the output of that chunk as plain text (escape sequences removed), echoed input included as its
-- echo, for the command search; input typed while the terminal did not echo is in neither column.
CREATE TABLE terminal_recordings (
  session_id  text        PRIMARY KEY,
  operator    text        NOT NULL,
  node        text        NOT NULL,
  cols        integer     NOT NULL,
  rows        integer     NOT NULL,
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  end_reason  text,
  bytes       bigint      NOT NULL DEFAULT 0,
  truncated   boolean     NOT NULL DEFAULT false
);
CREATE INDEX terminal_recordings_started ON terminal_recordings (started_at DESC);
CREATE INDEX terminal_recordings_node ON terminal_recordings (node, started_at DESC);
CREATE INDEX terminal_recordings_operator ON terminal_recordings (operator, started_at DESC);

CREATE TABLE terminal_recording_chunks (
  session_id  text    NOT NULL REFERENCES terminal_recordings (session_id) ON DELETE CASCADE,
  seq         integer NOT NULL,
  -- Complete asciicast lines, each ending in a newline; the header is chunk 0.
  data        text    NOT NULL,
  search_text text    NOT NULL DEFAULT '',
  PRIMARY KEY (session_id, seq)
);
