-- The desired state of each guest: what the operator last asked for, through Jarvis (any power
-- action records it before its Proxmox call) or Proxmox's own UI (a power task by another user),
-- or, for HA guests, the HA manager's request state. The monitor raises a crash only when a guest
-- stops that is not desired stopped. One row per guest and cluster: VMIDs are unique in a cluster.
CREATE TABLE guest_desired_state (
  cluster          text        NOT NULL,
  vmid             integer     NOT NULL,
  node             text        NOT NULL,
  desired          text        NOT NULL CHECK (desired IN ('running', 'stopped')),
  -- Who or what set it: a Jarvis workflow ID, `pve-task:<UPID>` for another Proxmox user, or `ha`.
  source           text        NOT NULL,
  set_at           timestamptz NOT NULL,
  -- A `stopped` wish is used up once the guest, seen stopped after it, is seen running again (or,
  -- never seen stopped, is still running long after): a later stop of its own is a crash again.
  seen_stopped_at  timestamptz,
  used_up_at       timestamptz,
  -- When a `running` wish replaced a `stopped` one: until then the stop was wished. A lagging look
  -- may still show that stop after the start was asked for; it is not a crash.
  stopped_until    timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cluster, vmid)
);
