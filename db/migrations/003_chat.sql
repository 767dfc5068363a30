-- Chat: sessions, their messages, and the cost of every LLM call. Conversations are projections
-- of the chat-turn workflows (the histories stay the source of truth); writes are idempotent.

CREATE TABLE chat_sessions (
  id          text        PRIMARY KEY,
  created_by  text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per message. An operator's message is written by the API when the turn starts; the
-- reply by the turn workflow when it ends, keyed by (workflow_id, role) so a retry writes once.
CREATE TABLE chat_messages (
  id          bigserial   PRIMARY KEY,
  session_id  text        NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
  turn        integer     NOT NULL,
  role        text        NOT NULL CHECK (role IN ('user', 'assistant')),
  text        text        NOT NULL,
  provider    text,
  workflow_id text        NOT NULL,
  cards       jsonb       NOT NULL DEFAULT '[]'::jsonb,
  cost_usd    numeric(12, 6),
  timings     jsonb,
  at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT chat_messages_idempotency UNIQUE (workflow_id, role)
);
CREATE INDEX chat_messages_by_session ON chat_messages (session_id, id);

-- Tokens and cost per LLM call, keyed by the workflow and the activity that made the call.
CREATE TABLE llm_costs (
  workflow_id   text          NOT NULL,
  activity_id   text          NOT NULL,
  session_id    text,
  provider      text          NOT NULL,
  model         text          NOT NULL,
  input_tokens  integer       NOT NULL,
  output_tokens integer       NOT NULL,
  cost_usd      numeric(12, 6) NOT NULL,
  at            timestamptz   NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, activity_id)
);
CREATE INDEX llm_costs_by_time ON llm_costs (at DESC);
