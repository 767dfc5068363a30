import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsEntityId } from '../common/validators';

export class WorkflowIdParamDto {
  @ApiProperty({ example: 'vm-action:pve:100:stop:01JD8X3Q4ZC5M2N7P9R1S3T5V7' })
  @IsEntityId()
  workflowId!: string;
}

/** `?runId=`: one run of a workflow ID that has run more than once (a remediation recurs under its incident key). */
export class RunIdQueryDto {
  @ApiPropertyOptional({
    description: 'One run of a workflow ID that has run more than once; the latest run when absent',
    example: '0193a5c2-7d4e-7b1a-9c3f-2e8d6b4a1f00',
  })
  @IsOptional()
  @IsEntityId()
  runId?: string;
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
  @ApiProperty({ description: 'The run these steps belong to' }) runId!: string;
  @ApiProperty({ example: "Chat: 'start vm 107' · 14:02", description: 'What the run was, as an operator reads it' })
  title!: string;
  @ApiProperty({ example: 'vmActionWorkflow', description: 'The workflow type' }) kind!: string;
  @ApiProperty({ example: 'COMPLETED', description: "Temporal's execution status (RUNNING, COMPLETED, FAILED, …)" })
  status!: string;
  @ApiProperty({ enum: ['temporal', 'archive'], description: 'Where the history was read from' }) source!: string;
  @ApiProperty({ type: [TimelineStepDto] }) steps!: TimelineStepDto[];
}
