/** Public surface of the Proxmox group: the client, its domain error, the cluster view and the activities. */
export { ProxmoxClient, type ProxmoxClientOptions, type ListTasksOptions, type PowerParams } from './proxmox.client';
export type { CallOptions, EndpointState, EndpointStatus } from './http-transport';
export { ProxmoxError, ProxmoxErrorCode, isProxmoxError, isRefusal, isRetryableCode } from './proxmox.errors';
export {
  parseUpid,
  assertNodeName,
  assertVmid,
  powerTaskType,
  haPowerTaskType,
  POWER_ACTIONS,
  GUEST_KINDS,
  type Upid,
  type GuestKind,
  type PowerAction,
  type RrdTimeframe,
  type RrdCf,
} from './identifiers';
export {
  normalizeFingerprint,
  normalizeFingerprints,
  formatFingerprint,
  TlsPinMismatchError,
  type TlsTrust,
} from './tls';
export { clusterIdentityOf } from './cluster-identity';
export {
  buildClusterState,
  combineClusterState,
  parseClusterStatus,
  partitionResources,
  normalizeNode,
  normalizeGuest,
  normalizeStorage,
  type ClusterNode,
  type ClusterGuest,
  type ClusterStorage,
  type ClusterQuorum,
  type ClusterUnavailable,
  type ClusterState,
  type ClusterMember,
  type ClusterResources,
  type ParsedClusterStatus,
  type NodeStatus,
  type GuestStatus,
  type NodeTemperature,
} from './normalize';
export type {
  PveVersion,
  PveNodeListEntry,
  PveNodeStatus,
  PveGuestEntry,
  PveGuestStatus,
  PveHaInfo,
  PveNodeStorage,
  PveRrdRow,
  PveHaResource,
  PveHaStatusEntry,
} from './pve-records';
export { isTaskOk, type PveTaskStatus, type PveTaskLog, type PveTaskListEntry } from './task-records';
export { ClusterSnapshot, type ClusterSnapshotOptions, type ClusterSnapshotStats } from './cluster-snapshot';
export {
  waitForTask,
  confirmGuestState,
  type TaskOutcome,
  type GuestStateOutcome,
  type WaitForTaskOptions,
  type ConfirmGuestStateOptions,
} from './task-waiter';
export {
  createProxmoxActivities,
  findAdoptableTask,
  pickAdoptableTask,
  candidateTaskTypes,
  adoptionSince,
  toApplicationFailure,
  type ProxmoxActivities,
  type ProxmoxActivityDeps,
  type GuestDescription,
  type PowerActionInput,
  type AdoptionCriteria,
} from './proxmox.activities';
export {
  ClusterTaskWatch,
  clusterDesiredStates,
  outsideIntent,
  type ClusterTaskWatchOptions,
  type DesiredStateStore,
} from './desired-state';
export {
  PermissionSelfCheck,
  permissionReportOf,
  readPermissionReport,
  readTaskVisibility,
  settingsPermissionStore,
  taskVisibilityOf,
  type PermissionCheckStore,
  type PermissionSelfCheckOptions,
  type PermissionSource,
} from './permission-check';
