import { ConsoleLogger } from '@nestjs/common';

/**
 * Nest's console logger without its start-up chatter: the route table and module wiring are
 * in the OpenAPI document, and the demo's log should show one line per event an operator
 * cares about. Colours only on a terminal, so log files stay plain text.
 */
const QUIET_CONTEXTS: ReadonlySet<string> = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'WebSocketsController',
  'NestApplication',
]);

export class ApiLogger extends ConsoleLogger {
  constructor() {
    super({ colors: Boolean(process.stdout.isTTY), logLevels: ['log', 'warn', 'error', 'fatal'] });
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    if (typeof context === 'string' && QUIET_CONTEXTS.has(context)) return;
    super.log(message, ...rest);
  }
}
