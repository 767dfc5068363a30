import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { RunIdQueryDto, WorkflowIdParamDto } from '../workflows/timeline.dto';
import { AuditListDto, AuditQueryDto, FeedListDto, FeedQueryDto, ReplayResultDto } from './audit.dto';
import { AuditService, type AuditItem } from './audit.service';
import { type FeedItem } from './feed.repository';

@ApiTags('audit')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@ApiBadRequestResponse({ type: ErrorEnvelopeDto })
@Controller()
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('audit')
  @ApiOperation({
    summary:
      'Archived workflow runs, one row per run, newest first, filterable by node, guest, kind, outcome and date; chat turns only with a kind filter',
  })
  @ApiOkResponse({ type: AuditListDto })
  list(@Query() q: AuditQueryDto): Promise<{ items: AuditItem[]; total: number }> {
    return this.audit.list(q);
  }

  @Get('audit/:workflowId/history')
  @ApiOperation({
    summary: "One archived workflow run's full Temporal history, in Temporal's JSON format",
    description: "The latest run, or `runId`'s for a workflow ID that has run more than once",
  })
  @ApiOkResponse({ schema: { type: 'object', properties: { events: { type: 'array', items: { type: 'object' } } } } })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto })
  history(@Param() p: WorkflowIdParamDto, @Query() q: RunIdQueryDto): Promise<unknown> {
    return this.audit.history(p.workflowId, q.runId);
  }

  @Post('audit/:workflowId/replay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Re-run the current workflow code against the archived history: does it make the same decisions?',
    description: "The latest run, or `runId`'s for a workflow ID that has run more than once",
  })
  @ApiOkResponse({ type: ReplayResultDto })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto })
  replay(@Param() p: WorkflowIdParamDto, @Query() q: RunIdQueryDto): Promise<ReplayResultDto> {
    return this.audit.replay(p.workflowId, q.runId);
  }

  @Get('feed')
  @ApiOperation({ summary: 'The activity feed: recent workflow steps, newest first' })
  @ApiOkResponse({ type: FeedListDto })
  feed(@Query() q: FeedQueryDto): Promise<{ items: FeedItem[] }> {
    return this.audit.feed(q);
  }
}
