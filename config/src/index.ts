export * from './config';
export * from './temporal-tls';
