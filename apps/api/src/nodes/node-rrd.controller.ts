import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { NodeParamsDto, NodeRrdDto, NodeRrdQueryDto } from './node-rrd.dto';
import { NodeRrdService, type NodeRrd } from './node-rrd.service';

@ApiTags('nodes')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('nodes')
export class NodeRrdController {
  constructor(private readonly nodes: NodeRrdService) {}

  @Get(':node/rrd')
  @ApiOperation({ summary: "A node's CPU, memory and network history (PVE rrddata), for sparklines" })
  @ApiOkResponse({ type: NodeRrdDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto, description: 'No such node in the cluster' })
  @ApiBadGatewayResponse({ type: ErrorEnvelopeDto, description: 'Proxmox unreachable' })
  rrd(@Param() p: NodeParamsDto, @Query() q: NodeRrdQueryDto): Promise<NodeRrd> {
    return this.nodes.rrd(p.node, q.timeframe, q.cf);
  }
}
