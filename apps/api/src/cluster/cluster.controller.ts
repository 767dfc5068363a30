import { Controller, Get } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type ClusterState } from '@jarvis/activities';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { ClusterStateDto } from './cluster.dto';
import { ClusterService } from './cluster.service';

@ApiTags('cluster')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('cluster')
export class ClusterController {
  constructor(private readonly cluster: ClusterService) {}

  @Get()
  @ApiOperation({ summary: 'Nodes, guests, storage and quorum, from a shared short-lived snapshot' })
  @ApiOkResponse({ type: ClusterStateDto })
  @ApiBadGatewayResponse({ type: ErrorEnvelopeDto, description: 'Proxmox unreachable and no cached state' })
  state(): Promise<ClusterState> {
    return this.cluster.state();
  }
}
