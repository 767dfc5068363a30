/**
 * The shapes the API sends (CONTRACT.md "Cluster fields", apps/api's DTOs and live-events.ts).
 * Restated here rather than imported: the dashboard talks to the API only over HTTP and sockets.
 */
export type Tier = 'GREEN' | 'YELLOW' | 'RED' | 'BLACK';
export type PowerAction = 'start' | 'stop' | 'shutdown' | 'reboot';

export interface ClusterNode {
  readonly name: string;
  readonly status: 'online' | 'offline' | 'unknown';
  readonly cpu: number;
  readonly mem: number;
  readonly maxmem: number;
  readonly disk: number;
  readonly maxdisk: number;
  readonly uptime: number;
  readonly temperature: { readonly packageC: number; readonly maxCoreC: number } | null;
}

export interface ClusterGuest {
  readonly vmid: number;
  readonly node: string;
  readonly type: 'qemu' | 'lxc';
  readonly name: string;
  readonly status: 'running' | 'stopped' | 'paused' | 'unknown';
  readonly template: boolean;
  readonly lock?: string;
  readonly tags: readonly string[];
  readonly hastate?: string;
  /** What the operator last asked for (through Jarvis or Proxmox's UI); the monitor compares it with status. */
  readonly desired?: 'running' | 'stopped';
  readonly cpu: number;
  readonly mem: number;
  readonly maxmem: number;
  readonly uptime: number;
}

export interface ClusterStorage {
  readonly node: string;
  readonly storage: string;
  readonly type: string;
  readonly shared: boolean;
  readonly used: number;
  readonly total: number;
  readonly usedFraction: number;
  readonly status: string;
}

export interface ClusterQuorum {
  readonly quorate: boolean;
  readonly nodes: number;
  readonly expected?: number;
  /** Proxmox refused the status read (no Sys.Audit on /): `quorate` means nothing. */
  readonly unknown?: boolean;
}

/** A read Proxmox refused to Jarvis's token: what is missing from the cluster view, and why. */
export interface ClusterUnavailable {
  readonly read: string;
  readonly code: string;
  readonly reason: string;
  readonly unknown: string;
}

export interface ClusterState {
  readonly quorum: ClusterQuorum;
  readonly nodes: readonly ClusterNode[];
  readonly guests: readonly ClusterGuest[];
  readonly storage: readonly ClusterStorage[];
  readonly updatedAt: string;
  readonly stale: boolean;
  readonly unavailable?: readonly ClusterUnavailable[];
}

export interface KeyedChanges<T, K> {
  readonly changed: readonly T[];
  readonly removed: readonly K[];
}

export interface ClusterDiff {
  readonly updatedAt: string;
  readonly stale: boolean;
  readonly quorum?: ClusterQuorum;
  /** Present only when what Proxmox refuses the token changed. */
  readonly unavailable?: readonly ClusterUnavailable[];
  readonly nodes: KeyedChanges<ClusterNode, string>;
  readonly guests: KeyedChanges<ClusterGuest, number>;
  readonly storage: KeyedChanges<ClusterStorage, string>;
}

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export interface ApprovalDecision {
  readonly by: string;
  readonly at: string;
  readonly verdict: 'approve' | 'reject';
  readonly comment?: string;
}

export interface ApprovalView {
  readonly id: string;
  readonly workflowId: string;
  readonly version: number;
  readonly state: ApprovalState;
  readonly tier: 'YELLOW' | 'RED';
  readonly action: string;
  readonly target: { readonly node: string; readonly vmid?: number; readonly type?: string };
  readonly resourceName: string;
  readonly reason: string | null;
  readonly requestedBy: { readonly kind: string; readonly id: string };
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly fingerprint: string;
  readonly blastRadius: { readonly guests: readonly number[]; readonly nodes: readonly string[] };
  readonly twoPerson: boolean;
  readonly decisions: readonly ApprovalDecision[];
}

export interface TimelineStep {
  readonly at: string;
  readonly kind: string;
  readonly title: string;
  readonly by?: string;
  readonly detail?: Readonly<Record<string, unknown>>;
  readonly durationMs?: number;
}

export interface Timeline {
  readonly workflowId: string;
  /** What the run was, as an operator reads it: "Stop guest 107 on pve · 14:02". */
  readonly title?: string;
  readonly kind: string;
  readonly status: string;
  readonly source?: 'temporal' | 'archive';
  readonly steps: readonly TimelineStep[];
}

export interface FeedItem {
  readonly id: number | string;
  readonly at: string;
  readonly source: string;
  readonly workflowId: string;
  /** The workflow the step belongs to, as an operator reads it; absent on a live step until a reload. */
  readonly subject?: string;
  readonly kind: string;
  readonly title: string;
  readonly actor?: string;
  readonly node?: string;
  readonly vmid?: number;
}

export interface AuditItem {
  readonly workflowId: string;
  /** A workflow ID can run more than once (a recurring incident): each run is its own item. */
  readonly runId: string;
  /** "Remediation: guest 107 crashed · 14:02" */
  readonly title?: string;
  readonly kind: string;
  readonly status: string;
  readonly outcome?: string;
  readonly node?: string;
  readonly vmid?: number;
  readonly action?: string;
  readonly requestedBy?: string;
  readonly startedAt?: string;
  readonly closedAt?: string;
}

export interface GuestActionAccepted {
  readonly workflowId: string;
  readonly tier: Tier;
  readonly state: string;
}

export type RrdRow = { readonly time: number } & Readonly<Record<string, number>>;

/** Socket events of /live, as the gateway emits them. */
export interface StepEvent {
  readonly workflowId: string;
  readonly kind: string;
  readonly title: string;
  readonly at: string;
  /** monitor, chat, operator or runbook (or the workflow family); absent from older servers. */
  readonly source?: string;
}
export interface ArchivedEvent {
  readonly workflowId: string;
  readonly outcome: string | null;
}

/** One Proxmox API endpoint as `/api/health` reports it to an operator (`proxmoxEndpoints`). */
export interface ProxmoxEndpoint {
  readonly node?: string;
  readonly url: string;
  readonly state: 'active' | 'healthy' | 'down' | 'untrusted';
  readonly lastError?: string;
  readonly since?: string;
}

/** `GET /api/health` with a token: the parts the dashboard shows. */
export interface HealthDetails {
  readonly status: 'ok' | 'degraded' | 'down';
  readonly components: Readonly<Record<string, { readonly status: string; readonly detail?: string }>>;
  readonly proxmoxEndpoints?: readonly ProxmoxEndpoint[];
}
