import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsNodeName } from '../common/validators';

export const RRD_TIMEFRAMES = ['hour', 'day', 'week', 'month', 'year'] as const;
export const RRD_CFS = ['AVERAGE', 'MAX'] as const;

export class NodeParamsDto {
  @ApiProperty({ example: 'pve', pattern: '^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$' })
  @IsNodeName()
  node!: string;
}

export class NodeRrdQueryDto {
  @ApiPropertyOptional({ enum: RRD_TIMEFRAMES, default: 'hour' })
  @IsOptional()
  @IsIn(RRD_TIMEFRAMES, { message: `timeframe must be one of ${RRD_TIMEFRAMES.join(', ')}` })
  timeframe?: (typeof RRD_TIMEFRAMES)[number];

  @ApiPropertyOptional({ enum: RRD_CFS, default: 'AVERAGE' })
  @IsOptional()
  @IsIn(RRD_CFS, { message: `cf must be one of ${RRD_CFS.join(', ')}` })
  cf?: (typeof RRD_CFS)[number];
}

export class NodeRrdDto {
  @ApiProperty({ example: 'pve' }) node!: string;
  @ApiProperty({ enum: RRD_TIMEFRAMES }) timeframe!: string;
  @ApiProperty({
    description:
      'Oldest first. Each row has `time` (Unix seconds) and whichever columns PVE sampled (cpu 0–1, memused, memtotal, netin, …); a missed cycle carries only `time`',
    type: 'array',
    items: { type: 'object', properties: { time: { type: 'number' } }, additionalProperties: { type: 'number' } },
  })
  items!: Record<string, number>[];
}
