import { Injectable, type Provider } from '@nestjs/common';
import { IncidentsRepository, type IncidentView } from '@jarvis/db';
import { DatabaseService } from '../infra/database.service';
import { type IncidentQueryDto } from './incidents.dto';

export type IncidentItem = Omit<IncidentView, 'version' | 'incidentKey'>;

@Injectable()
export class IncidentsService {
  constructor(private readonly incidents: IncidentsRepository) {}

  async list(q: IncidentQueryDto): Promise<{ items: IncidentItem[] }> {
    const rows = await this.incidents.list({
      ...(q.state ? { state: q.state } : {}),
      ...(q.limit ? { limit: q.limit } : {}),
    });
    return { items: rows.map(({ version: _v, incidentKey: _k, ...item }) => item) };
  }
}

/** Kept beside its only user rather than in infra/, which is shared with other features. */
export const INCIDENTS_REPOSITORY_PROVIDER: Provider = {
  provide: IncidentsRepository,
  useFactory: (db: DatabaseService) => new IncidentsRepository(db.pool),
  inject: [DatabaseService],
};
