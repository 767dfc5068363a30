export * from './chat.activities';
