import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { IncidentListDto, IncidentQueryDto } from './incidents.dto';
import { IncidentsService, type IncidentItem } from './incidents.service';

@ApiTags('incidents')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@ApiBadRequestResponse({ type: ErrorEnvelopeDto })
@Controller('incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @Get()
  @ApiOperation({ summary: 'Incidents the monitor detected, newest first, with their remediation workflow' })
  @ApiOkResponse({ type: IncidentListDto })
  list(@Query() q: IncidentQueryDto): Promise<{ items: IncidentItem[] }> {
    return this.incidents.list(q);
  }
}
