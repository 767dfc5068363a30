export { createApi, JSON_BODY_LIMIT, type CreateApiOptions } from './create-api';
export { ApiConfigError } from './api-config';
export { ApiError, ApiErrorCode } from './errors/api-error';
export type { LiveServerEvents, LiveClientEvents } from './live/live-events';
export type { ClusterDiff } from './live/cluster-diff';
// Response shapes, for clients in this repository (the dashboard, tests, the bench).
export type { LoginResult } from './auth/auth.service';
export type { GuestActionAccepted } from './guests/guest-actions.service';
export type { HealthReport, ComponentHealth, ComponentStatus } from './health/health.service';
export type { Timeline } from './workflows/timeline.service';
export type { FeedItem } from './audit/feed.repository';
export type { KillSwitchState } from './guardrails/guardrails.service';
export { DecisionSigner } from './auth/decision-signer';
export { MAX_JSON_DEPTH, jsonDepthExceeds } from './json-depth';
export { CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './web/security-headers';
