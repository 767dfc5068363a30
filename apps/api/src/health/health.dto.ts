import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class ComponentHealthDto {
  @ApiProperty({ enum: ['ok', 'degraded', 'down'] }) status!: string;
  @ApiProperty() latencyMs!: number;
  @ApiPropertyOptional() detail?: string;
}

export class HealthReportDto {
  @ApiProperty({ enum: ['ok', 'degraded', 'down'] }) status!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/ComponentHealthDto' },
    description: 'temporal, database, proxmox, llm, tts',
  })
  components!: Record<string, ComponentHealthDto>;
}

export { ComponentHealthDto };
