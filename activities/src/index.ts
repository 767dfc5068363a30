export * from './proxmox';
export * from './db';
export * from './remediation';
export * from './notify';
export * from './llm';
export * from './chat';
export * from './ssh';
export * from './policy';
