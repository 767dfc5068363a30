export interface LedgerEntry {
  seq: number;
  /** ISO timestamp. */
  at: string;
  atMs: number;
  method: string;
  path: string;
  node?: string;
  vmid?: number;
  action?: string;
  upid?: string;
  /** Set for actions made as another Proxmox user through POST /_sim/actions. */
  user?: string;
  /** The node whose endpoint received the call (unset for /_sim/actions). */
  via?: string;
  /** The API URL the call arrived on: RunningSimulator.url (the main address) or one of its endpoints' urls. */
  endpoint?: string;
}

export type LedgerInput = Omit<LedgerEntry, 'seq' | 'at' | 'atMs'>;

/**
 * The record tests and benchmarks audit. It holds accepted state-changing PVE calls only: those
 * that returned a UPID or changed state. A call refused synchronously (no quorum, CT already
 * running, bad parameters, auth, injected errors) changed nothing on a real cluster, so it is not
 * here; a call whose task later failed (VM is locked) is here, with its UPID, because PVE accepted it.
 */
export class Ledger {
  private entries: LedgerEntry[] = [];
  private seq = 0;

  record(input: LedgerInput, atMs: number): LedgerEntry {
    const entry: LedgerEntry = { seq: ++this.seq, at: new Date(atMs).toISOString(), atMs, ...input };
    this.entries.push(entry);
    return entry;
  }

  list(): readonly LedgerEntry[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
    this.seq = 0;
  }
}
