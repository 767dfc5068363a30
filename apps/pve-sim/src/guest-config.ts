import { createHash } from 'node:crypto';
import { type SimGuest } from './model';
import { compact } from './views-cluster';

const MiB = 1024 * 1024;

/** GET …/config: the guest's config file as PVE parses it, with the digest clients send back on writes. */
export function guestConfigView(g: SimGuest): Record<string, unknown> {
  const sizeG = `${Math.round(g.maxdisk / 1024 ** 3)}G`;
  const common = {
    tags: g.tags.length > 0 ? g.tags.join(';') : undefined,
    lock: g.lock,
    template: g.template ? 1 : undefined,
    onboot: g.onboot ? 1 : undefined,
    cores: g.cpus,
  };
  const body =
    g.type === 'qemu'
      ? compact({
          ...common,
          name: g.name,
          sockets: 1,
          // Since 8.1 memory is a property string, so it comes back as a string.
          memory: String(Math.round(g.maxmem / MiB)),
          ostype: 'l26',
          boot: 'order=scsi0;ide2;net0',
          scsihw: 'virtio-scsi-single',
          scsi0: `local-lvm:vm-${g.vmid}-disk-0,iothread=1,size=${sizeG}`,
          ide2: 'none,media=cdrom',
          net0: `virtio=${g.mac},bridge=vmbr0,firewall=1`,
          agent: g.agent ? '1' : undefined,
          smbios1: `uuid=${uuidFor(g)}`,
          vmgenid: uuidFor({ ...g, vmid: g.vmid + 1 }),
        })
      : compact({
          ...common,
          hostname: g.name,
          arch: 'amd64',
          memory: Math.round(g.maxmem / MiB),
          swap: Math.round(g.maxswap / MiB),
          ostype: 'debian',
          rootfs: `local-lvm:vm-${g.vmid}-disk-0,size=${sizeG}`,
          net0: `name=eth0,bridge=vmbr0,hwaddr=${g.mac},ip=dhcp,type=veth`,
          unprivileged: 1,
        });
  return { ...body, digest: createHash('sha1').update(JSON.stringify(body)).digest('hex') };
}

function uuidFor(g: Pick<SimGuest, 'vmid' | 'name'>): string {
  const h = createHash('sha1').update(`${g.vmid}/${g.name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
