import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEntityId } from '../common/validators';

export class WorkflowIdParamDto {
  @ApiProperty({ example: 'vm-action:pve:100:stop:01JD8X3Q4ZC5M2N7P9R1S3T5V7' })
  @IsEntityId()
  workflowId!: string;
}

class TimelineStepDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'approved' }) kind!: string;
  @ApiProperty() title!: string;
  @ApiPropertyOptional() by?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) detail?: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Time until the next step' }) durationMs?: number;
}

export class TimelineDto {
  @ApiProperty() workflowId!: string;
  @ApiProperty({ example: "Chat: 'start vm 107' · 14:02", description: 'What the run was, as an operator reads it' })
  title!: string;
  @ApiProperty({ example: 'vmActionWorkflow', description: 'The workflow type' }) kind!: string;
  @ApiProperty({ example: 'COMPLETED', description: "Temporal's execution status (RUNNING, COMPLETED, FAILED, …)" })
  status!: string;
  @ApiProperty({ enum: ['temporal', 'archive'], description: 'Where the history was read from' }) source!: string;
  @ApiProperty({ type: [TimelineStepDto] }) steps!: TimelineStepDto[];
}
