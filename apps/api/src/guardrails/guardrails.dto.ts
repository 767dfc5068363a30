import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsEntityId } from '../common/validators';
import { AUTONOMY_LEVELS, INCIDENT_CLASSES, type AutonomyLevel, type IncidentClass } from '@jarvis/policies';

export class KillSwitchDto {
  @ApiProperty({ description: 'true stops autonomous actions from starting; operator requests are unaffected' })
  @IsBoolean()
  engaged!: boolean;
}

export class KillSwitchStateDto {
  @ApiProperty() engaged!: boolean;
  @ApiPropertyOptional() updatedBy?: string;
  @ApiPropertyOptional({ format: 'date-time' }) updatedAt?: string;
  @ApiPropertyOptional({ description: 'Whether the running guardian took the change (after a PUT)' }) applied?: boolean;
}

export class AutonomyParamDto {
  @ApiProperty({ enum: INCIDENT_CLASSES })
  @IsIn(INCIDENT_CLASSES, { message: `incidentClass must be one of ${INCIDENT_CLASSES.join(', ')}` })
  incidentClass!: IncidentClass;
}

export class AutonomyDto {
  @ApiProperty({
    enum: AUTONOMY_LEVELS,
    description: 'L0 observe, L1 alert, L2 recommend (asks), L3 act and report, L4 act silently',
  })
  @IsIn(AUTONOMY_LEVELS, { message: `level must be one of ${AUTONOMY_LEVELS.join(', ')}` })
  level!: AutonomyLevel;
}

export class RunbookDto {
  @ApiProperty({ enum: INCIDENT_CLASSES }) class!: string;
  @ApiProperty({ enum: AUTONOMY_LEVELS }) autonomy!: string;
  @ApiProperty({ enum: AUTONOMY_LEVELS }) defaultAutonomy!: string;
  @ApiProperty({ nullable: true, type: String, example: 'guest.start' }) actionTool!: string | null;
  @ApiProperty({ enum: ['GREEN', 'YELLOW', 'RED', 'BLACK'] }) tier!: string;
  @ApiProperty({ type: [String] }) steps!: string[];
  @ApiPropertyOptional({
    type: 'object',
    description: 'Set when Jarvis holds the runbook below its level, and why (vm-crashed without Sys.Audit: L2)',
    properties: { level: { type: 'string', enum: [...AUTONOMY_LEVELS] }, reason: { type: 'string' } },
  })
  heldAt?: { level: string; reason: string };
}

class TaskVisibilityDto {
  @ApiProperty({ description: "true when the API token has Sys.Audit on / and so sees other users' tasks" })
  othersVisible!: boolean;
  @ApiProperty() reason!: string;
  @ApiProperty({ format: 'date-time' }) checkedAt!: string;
}

class LimitsDto {
  @ApiProperty({ example: 3 }) maxAttemptsPerIncident!: number;
  @ApiProperty({ example: 3_600_000 }) attemptWindowMs!: number;
  @ApiProperty({ example: 3 }) maxFailuresBeforeEscalation!: number;
  @ApiProperty() failureWindowMs!: number;
  @ApiProperty({ example: 1, description: 'Blast radius: remediations act on one node at a time' })
  maxNodesAtOnce!: number;
}

class GuardianDto {
  @ApiProperty({ example: 'guardian:default' }) workflowId!: string;
  @ApiProperty() running!: boolean;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) inFlight!: unknown[];
  @ApiProperty({ type: [String] }) waiting!: string[];
  @ApiPropertyOptional({
    description: "The cluster the attempts are counted against: its name, first node and that node's certificate",
  })
  clusterIdentity?: string;
}

export class IncidentKeyParamDto {
  @ApiProperty({ example: 'remediate:node-down:home' })
  @IsEntityId()
  incidentKey!: string;
}

export class FailureResetDto {
  @ApiPropertyOptional({ description: 'Why the failures are reset (kept in the audit and the guardian history)' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  reason?: string;
}

export class FailureResetResultDto {
  @ApiProperty({ example: 'remediate:node-down:home' }) incidentKey!: string;
  @ApiProperty({ description: 'How many failed attempts stopped counting' }) reset!: number;
  @ApiProperty() by!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
}

class FailureHistoryEntryDto {
  @ApiProperty() attemptId!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: ['succeeded', 'failed', 'pending'] }) outcome!: string;
  @ApiProperty({ description: 'The remediation that made the attempt (its workflow ID is the incident key)' })
  workflowId!: string;
  @ApiPropertyOptional({ description: 'The remediation run that made the attempt' }) runId?: string;
  @ApiPropertyOptional({ description: 'What failed' }) detail?: string;
  @ApiProperty({ description: 'Whether it counts toward escalating the incident now' }) counted!: boolean;
  @ApiProperty({ description: 'Recorded against another cluster: it counts for nothing' }) otherCluster!: boolean;
  @ApiPropertyOptional({
    type: 'object',
    description: 'Why it no longer counts: a later recovery, or an operator’s reset',
    properties: {
      kind: { type: 'string', enum: ['recovered', 'reset'] },
      at: { type: 'string', format: 'date-time' },
      by: { type: 'string' },
    },
  })
  cleared?: { kind: string; at: string; by: string };
}

class IncidentFailureHistoryDto {
  @ApiProperty({ example: 'remediate:node-down:home' }) incidentKey!: string;
  @ApiProperty({ description: 'Failed attempts in a row that count now' }) counted!: number;
  @ApiProperty({ description: 'Whether the next attempt is refused and escalated at once' }) escalates!: boolean;
  @ApiProperty({ type: [FailureHistoryEntryDto] }) attempts!: FailureHistoryEntryDto[];
}

export class GuardrailsDto {
  @ApiProperty({ type: KillSwitchStateDto }) killSwitch!: KillSwitchStateDto;
  @ApiProperty({ type: LimitsDto }) limits!: LimitsDto;
  @ApiProperty({ type: [RunbookDto] }) runbooks!: RunbookDto[];
  @ApiProperty({ type: GuardianDto }) guardian!: GuardianDto;
  @ApiProperty({
    type: [IncidentFailureHistoryDto],
    description: 'The attempts per incident key, and which failures count',
  })
  failures!: IncidentFailureHistoryDto[];
  @ApiProperty({ type: TaskVisibilityDto, nullable: true }) taskVisibility!: TaskVisibilityDto | null;
}
