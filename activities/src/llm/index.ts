export * from './llm.types';
export * from './chat-stream';
export * from './llm.activities';
