import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import { VMID_MAX, VMID_MIN } from '@jarvis/policies';
import { IsNodeName, ToInteger, VMID_MESSAGE } from '../common/validators';

export class AuditQueryDto {
  @ApiPropertyOptional({ example: 'pve' })
  @IsOptional()
  @IsNodeName()
  node?: string;

  @ApiPropertyOptional({ description: 'Guest ID', minimum: VMID_MIN, maximum: VMID_MAX })
  @IsOptional()
  @ToInteger()
  @IsInt({ message: VMID_MESSAGE })
  @Min(VMID_MIN, { message: VMID_MESSAGE })
  @Max(VMID_MAX, { message: VMID_MESSAGE })
  vmid?: number;

  @ApiPropertyOptional({
    example: 'vmActionWorkflow',
    description: 'Workflow type, or `all`; without it, chat turns (`chatTurnWorkflow`) are left out',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_.:-]{1,100}$/, { message: 'kind may contain only letters, digits and _.:-' })
  kind?: string;

  @ApiPropertyOptional({ example: 'done', description: 'done, failed, blocked, rejected, expired, not-found, …' })
  @IsOptional()
  @Matches(/^[a-z][a-z-]{0,39}$/, { message: 'outcome must be a lower-case word such as done or rejected' })
  outcome?: string;

  @ApiPropertyOptional({ example: 'vm-crashed', description: "A remediation's incident class" })
  @IsOptional()
  @Matches(/^[a-z][a-z-]{0,39}$/, { message: 'incidentClass must be an incident class such as vm-crashed' })
  incidentClass?: string;

  @ApiPropertyOptional({ example: 101, description: 'Guest ID (the same filter as vmid)' })
  @IsOptional()
  @ToInteger()
  @IsInt({ message: VMID_MESSAGE })
  @Min(VMID_MIN, { message: VMID_MESSAGE })
  @Max(VMID_MAX, { message: VMID_MESSAGE })
  guest?: number;

  @ApiPropertyOptional({ format: 'date-time', description: 'Closed at or after' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Closed at or before' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class FeedQueryDto {
  @ApiPropertyOptional({
    example: 'runbook',
    description: 'monitor, chat, operator or runbook; or a workflow family (the workflow ID up to its first colon)',
  })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,39}$/, {
    message: 'source must be monitor, chat, operator, runbook or a workflow family',
  })
  source?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

class ArchiveSummaryDto {
  @ApiProperty() workflowId!: string;
  @ApiProperty({ description: 'Each run of a workflow ID is its own row' }) runId!: string;
  @ApiProperty({ example: 'Stop guest 107 on pve · 14:02', description: 'What the run was, as an operator reads it' })
  title!: string;
  @ApiProperty({ example: 'vmActionWorkflow' }) kind!: string;
  @ApiProperty({ example: 'COMPLETED' }) status!: string;
  @ApiPropertyOptional({ example: 'done' }) outcome?: string;
  @ApiPropertyOptional() node?: string;
  @ApiPropertyOptional() vmid?: number;
  @ApiPropertyOptional() action?: string;
  @ApiPropertyOptional() requestedBy?: string;
  @ApiPropertyOptional({ format: 'date-time' }) startedAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) closedAt?: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) summary!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) archivedAt!: string;
}

export class AuditListDto {
  @ApiProperty({ type: [ArchiveSummaryDto] }) items!: ArchiveSummaryDto[];
  @ApiProperty() total!: number;
}

class FeedItemDto {
  @ApiProperty() id!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'runbook', description: 'monitor, chat, operator or runbook' }) source!: string;
  @ApiProperty({ example: 'remediate', description: 'The workflow family' }) family!: string;
  @ApiProperty() workflowId!: string;
  @ApiProperty({
    example: 'Stop guest 107 on pve',
    description: 'The workflow the step belongs to, as an operator reads it',
  })
  subject!: string;
  @ApiProperty({ example: 'approved' }) kind!: string;
  @ApiProperty() title!: string;
  @ApiPropertyOptional() actor?: string;
  @ApiPropertyOptional() node?: string;
  @ApiPropertyOptional() vmid?: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) detail!: Record<string, unknown>;
}

export class FeedListDto {
  @ApiProperty({ type: [FeedItemDto] }) items!: FeedItemDto[];
}

export class ReplayResultDto {
  @ApiProperty({ description: 'True when the current code makes exactly the decisions the history records' })
  reproduced!: boolean;
  @ApiPropertyOptional({ description: 'Why it was not reproduced (the determinism violation)' }) detail?: string;
  @ApiPropertyOptional() runId?: string;
  @ApiPropertyOptional({ description: 'Events in the archived history' }) events?: number;
}
