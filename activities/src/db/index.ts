export * from './db.activities';
