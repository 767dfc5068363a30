import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn } from 'class-validator';
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
}

export class GuardrailsDto {
  @ApiProperty({ type: KillSwitchStateDto }) killSwitch!: KillSwitchStateDto;
  @ApiProperty({ type: LimitsDto }) limits!: LimitsDto;
  @ApiProperty({ type: [RunbookDto] }) runbooks!: RunbookDto[];
  @ApiProperty({ type: GuardianDto }) guardian!: GuardianDto;
  @ApiProperty({ type: TaskVisibilityDto, nullable: true }) taskVisibility!: TaskVisibilityDto | null;
}
