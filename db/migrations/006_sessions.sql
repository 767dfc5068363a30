-- Operator login sessions (issue 11, "Sessions"). One row per password login. Access tokens (short
-- JWTs) name their session in `sid`; the refresh cookie renews them while the session lives. Only
-- a SHA-256 of the current refresh token is kept, never the token: a database dump cannot be
-- replayed as a cookie. A revoked session refuses its access tokens, its refresh token and its sockets.
CREATE TABLE operator_sessions (
  id               text        PRIMARY KEY,
  operator         text        NOT NULL,
  -- The password login; carried unchanged into every refreshed access token as `auth_time`.
  auth_time        timestamptz NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_refresh_at  timestamptz,
  -- Idle deadline, moved forward by each refresh but never past the absolute lifetime.
  expires_at       timestamptz NOT NULL,
  revoked_at       timestamptz,
  -- logout, logout-all or refresh-reuse (an old refresh token came back: likely stolen).
  revoked_reason   text,
  refresh_hash     bytea       NOT NULL
);

CREATE INDEX operator_sessions_live_by_operator ON operator_sessions (operator) WHERE revoked_at IS NULL;
-- Every API instance polls the recent revocations (see the API's SessionRevocations).
CREATE INDEX operator_sessions_revoked_at ON operator_sessions (revoked_at) WHERE revoked_at IS NOT NULL;
