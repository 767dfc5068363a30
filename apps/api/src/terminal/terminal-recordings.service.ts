import { Injectable } from '@nestjs/common';
import { TerminalRecordingsRepository, type TerminalRecordingQuery, type TerminalRecordingRow } from '@jarvis/db';
import { ApiError } from '../errors/api-error';

/** The recordings' read side: listing, the command search, and one cast. */
@Injectable()
export class TerminalRecordingsService {
  constructor(private readonly repo: TerminalRecordingsRepository) {}

  async list(q: TerminalRecordingQuery): Promise<{ items: TerminalRecordingRow[] }> {
    return { items: await this.repo.list(q) };
  }

  async cast(id: string): Promise<string> {
    const cast = await this.repo.cast(id);
    if (cast === undefined) throw new ApiError('NOT_FOUND', `no recording of terminal session ${id}`);
    return cast;
  }
}
