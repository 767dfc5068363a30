import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ToInteger } from '../common/validators';

export class IncidentQueryDto {
  @ApiPropertyOptional({ enum: ['open', 'resolved', 'escalated'] })
  @IsOptional()
  @IsIn(['open', 'resolved', 'escalated'], { message: 'state must be open, resolved or escalated' })
  state?: 'open' | 'resolved' | 'escalated';

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

class IncidentSubjectDto {
  @ApiProperty({ example: 'pve', description: "The node, or '*' for the whole cluster" }) node!: string;
  @ApiPropertyOptional() vmid?: number;
  @ApiPropertyOptional() storage?: string;
  @ApiPropertyOptional() service?: string;
}

class IncidentDto {
  @ApiProperty({ example: 'remediate:vm-crashed:101:4f2a9c1e' }) id!: string;
  @ApiProperty({ example: 'vm-crashed' }) class!: string;
  @ApiProperty({ example: 'major' }) severity!: string;
  @ApiProperty({ type: IncidentSubjectDto }) subject!: IncidentSubjectDto;
  @ApiProperty({ enum: ['open', 'resolved', 'escalated'] }) state!: string;
  @ApiPropertyOptional({ example: 'resolved', description: 'How the remediation ended' }) outcome?: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) evidence!: Record<string, unknown>;
  @ApiProperty() attempts!: number;
  @ApiProperty({ format: 'date-time' }) detectedAt!: string;
  @ApiPropertyOptional({ format: 'date-time' }) resolvedAt?: string;
  @ApiProperty({ example: 'remediate:vm-crashed:101', description: 'The remediation workflow (the incident key)' })
  workflowId!: string;
}

export class IncidentListDto {
  @ApiProperty({ type: [IncidentDto] }) items!: IncidentDto[];
}
