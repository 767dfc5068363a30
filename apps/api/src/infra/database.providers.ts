import { type Provider } from '@nestjs/common';
import {
  ApprovalsRepository,
  ArchiveRepository,
  AuditRepository,
  ChatRepository,
  DesiredStateRepository,
  LlmCostsRepository,
  SessionsRepository,
  SettingsRepository,
  TerminalRecordingsRepository,
} from '@jarvis/db';
import { DatabaseService } from './database.service';

/** The shared repositories of @jarvis/db as injectables, all over the one pool. */
export const DATABASE_PROVIDERS: Provider[] = [
  DatabaseService,
  ...[
    ApprovalsRepository,
    AuditRepository,
    ArchiveRepository,
    SettingsRepository,
    ChatRepository,
    LlmCostsRepository,
    DesiredStateRepository,
    SessionsRepository,
    TerminalRecordingsRepository,
  ].map((Repository): Provider => ({
    provide: Repository,
    useFactory: (db: DatabaseService) => new Repository(db.pool),
    inject: [DatabaseService],
  })),
];
