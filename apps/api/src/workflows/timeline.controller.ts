import { Controller, Get, Param } from '@nestjs/common';
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
import { TimelineDto, WorkflowIdParamDto } from './timeline.dto';
import { TimelineService, type Timeline } from './timeline.service';

@ApiTags('workflows')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('workflows')
export class TimelineController {
  constructor(private readonly timelines: TimelineService) {}

  @Get(':workflowId/timeline')
  @ApiOperation({ summary: 'The domain-level steps of one workflow, from its Temporal history or the archive' })
  @ApiOkResponse({ type: TimelineDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto })
  timeline(@Param() p: WorkflowIdParamDto): Promise<Timeline> {
    return this.timelines.timeline(p.workflowId);
  }
}
