import { type SimModel } from './model';
import { type SeededRandom } from './random';
import { type HistoricTask, type TaskRegistry } from './tasks';

const DAY_MS = 86_400_000;

function guestLabel(model: SimModel, vmid: number): string {
  const g = model.guests.find((x) => x.vmid === vmid);
  return g?.type === 'lxc' ? `CT ${vmid}` : `VM ${vmid}`;
}

function vzdumpLog(model: SimModel, vmids: number[], failedVmid?: number): string[] {
  const lines = [
    `INFO: starting new backup job: vzdump ${vmids.join(' ')} --storage nas --mode snapshot --compress zstd --quiet 1`,
  ];
  for (const vmid of vmids) {
    const g = model.guests.find((x) => x.vmid === vmid);
    lines.push(`INFO: Starting Backup of VM ${vmid} (${g?.type ?? 'qemu'})`);
    if (vmid === failedVmid) return lines; // the log just stops: the worker was killed mid-backup
    lines.push(`INFO: Finished Backup of VM ${vmid} (00:0${(vmid % 9) + 1}:12)`);
  }
  lines.push('INFO: Backup job finished successfully');
  return lines;
}

/**
 * A few days of the background tasks a real node accumulates (boot, nightly backups, apt
 * refresh), so task lists are not empty and clients see root@pam tasks beside their own.
 * Last night's backup on home was killed while it held VM 105, which is why 105 still carries
 * a backup lock: exitstatus "unexpected status" is what PVE shows for a killed worker.
 */
export function seedTaskHistory(model: SimModel, tasks: TaskRegistry, nowMs: number, rng: SeededRandom): void {
  const todayMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  for (const node of model.nodes) {
    const history: HistoricTask[] = [];
    const onboot = model.guests
      .filter((g) => g.node === node.name && (g.onboot || g.ha) && !g.template)
      .map((g) => g.vmid);
    const bootStart = node.bootMs + rng.int(25, 60) * 1000;
    history.push({
      node,
      type: 'startall',
      id: '',
      user: 'root@pam',
      startMs: bootStart,
      endMs: bootStart + (onboot.length * 4 + 1) * 1000,
      exitstatus: 'OK',
      log: onboot.map((vmid) => `Starting ${guestLabel(model, vmid)}`),
    });
    const backedUp = model.guests.filter((g) => g.node === node.name && !g.template).map((g) => g.vmid);
    for (let daysAgo = 3; daysAgo >= 1; daysAgo--) {
      const startMs = todayMs - daysAgo * DAY_MS + 2 * 3_600_000 + rng.int(0, 300) * 1000;
      const aptMs = todayMs - daysAgo * DAY_MS + rng.int(4, 6) * 3_600_000;
      if (startMs > node.bootMs && backedUp.length > 0) {
        const killed = node.name === model.localNode && daysAgo === 1 ? 105 : undefined;
        history.push({
          node,
          type: 'vzdump',
          id: '',
          user: 'root@pam',
          startMs,
          endMs: startMs + rng.int(4, 40) * 60_000,
          exitstatus: killed ? 'unexpected status' : 'OK',
          log: vzdumpLog(model, backedUp, killed),
        });
      }
      if (aptMs > node.bootMs) {
        history.push({
          node,
          type: 'aptupdate',
          id: '',
          user: 'root@pam',
          startMs: aptMs,
          endMs: aptMs + rng.int(3, 20) * 1000,
          exitstatus: 'OK',
          log: [
            'starting apt-get update',
            'Hit:1 http://deb.debian.org/debian bookworm InRelease',
            'Reading package lists...',
          ],
        });
      }
    }
    history.sort((a, b) => a.startMs - b.startMs).forEach((h) => tasks.addHistoric(h));
  }
}
