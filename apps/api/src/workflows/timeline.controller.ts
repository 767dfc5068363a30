import { Controller, Get, Param, Query } from '@nestjs/common';
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
import { RunIdQueryDto, TimelineDto, WorkflowIdParamDto } from './timeline.dto';
import { TimelineService, type Timeline } from './timeline.service';

@ApiTags('workflows')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('workflows')
export class TimelineController {
  constructor(private readonly timelines: TimelineService) {}

  @Get(':workflowId/timeline')
  @ApiOperation({
    summary: 'The domain-level steps of one workflow run, from its Temporal history or the archive',
    description: "The latest run, or `runId`'s for a workflow ID that has run more than once",
  })
  @ApiOkResponse({ type: TimelineDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto })
  timeline(@Param() p: WorkflowIdParamDto, @Query() q: RunIdQueryDto): Promise<Timeline> {
    return this.timelines.timeline(p.workflowId, q.runId);
  }
}
