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
    description:
      'temporal, database, proxmox, monitor, workflows, proxmoxTasks, proxmoxPermissions (what the Proxmox token can do; the capabilities only with a bearer token), llm, tts',
  })
  components!: Record<string, ComponentHealthDto>;

  @ApiPropertyOptional({
    description: 'Only with a bearer token: workflows whose workflow task keeps failing',
    type: 'array',
    items: {
      type: 'object',
      properties: {
        workflowId: { type: 'string' },
        runId: { type: 'string' },
        type: { type: 'string' },
        attempt: { type: 'integer' },
        failure: { type: 'string' },
      },
    },
  })
  stuckWorkflows?: unknown[];

  @ApiPropertyOptional({
    description:
      'Only with a bearer token: the Proxmox API endpoints (configured, then discovered from /cluster/status) and their states',
    type: 'array',
    items: {
      type: 'object',
      properties: {
        node: { type: 'string' },
        url: { type: 'string' },
        state: { type: 'string', enum: ['active', 'healthy', 'down', 'untrusted'] },
        lastError: { type: 'string' },
        since: { type: 'string', format: 'date-time' },
      },
      required: ['url', 'state'],
    },
  })
  proxmoxEndpoints?: unknown[];
}

export { ComponentHealthDto };
