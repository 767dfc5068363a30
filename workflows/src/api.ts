// What clients (the API, tests, the bench) need: message definitions and types, no workflow code.
export * from './vm-action.messages';
export * from './replay.messages';
export * from './timeline';
