export * from './temporal-dev-server';
export * from './ports';
export * from './port-check';
export * from './demo-state';
