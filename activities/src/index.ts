export * from './proxmox';
export * from './db';
