import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsEntityId } from '../common/validators';

export class ApprovalIdParamDto {
  @ApiProperty({
    description: 'Unique per request: a decision applies to this approval only',
    example: 'vm-action:pve:100:stop:01JD8X3Q4ZC5M2N7P9R1S3T5V7:9f2c4e1a7b3d:approval:1',
  })
  @IsEntityId()
  id!: string;
}

export class ApprovalListQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'decided'] })
  @IsOptional()
  @IsIn(['pending', 'decided'])
  state?: 'pending' | 'decided';
}

export class DecisionDto {
  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  comment?: string;

  @ApiPropertyOptional({
    description: "The dashboard's explicit confirmation; recorded by the client, not required by the rules",
  })
  @IsOptional()
  @IsBoolean()
  confirm?: boolean;

  @ApiPropertyOptional({
    description: "A lone operator's RED confirmation: the resource's name, typed",
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  typedName?: string;

  @ApiProperty({
    description:
      "The fingerprint shown on the card (the approval listing's `fingerprint`). Required: without it → 400; " +
      'a decision for a changed action is refused (409)',
    maxLength: 200,
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  fingerprint!: string;
}

class DecisionViewDto {
  @ApiProperty() by!: string;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ enum: ['approve', 'reject'] }) verdict!: string;
  @ApiPropertyOptional() comment?: string;
}

class ApprovalTargetDto {
  @ApiProperty() node!: string;
  @ApiPropertyOptional() vmid?: number;
  @ApiPropertyOptional({ enum: ['qemu', 'lxc'] }) type?: string;
}

class BlastRadiusDto {
  @ApiProperty({ type: [Number] }) guests!: number[];
  @ApiProperty({ type: [String] }) nodes!: string[];
}

class RequesterDto {
  @ApiProperty({ enum: ['operator', 'chat', 'runbook', 'mcp'] }) kind!: string;
  @ApiProperty() id!: string;
}

export class ApprovalViewDto {
  @ApiProperty() id!: string;
  @ApiProperty() workflowId!: string;
  @ApiProperty({ enum: ['pending', 'approved', 'rejected', 'expired', 'cancelled'] }) state!: string;
  @ApiProperty({ enum: ['YELLOW', 'RED'] }) tier!: string;
  @ApiProperty({ example: 'stop' }) action!: string;
  @ApiProperty({ type: ApprovalTargetDto }) target!: ApprovalTargetDto;
  @ApiProperty({ description: 'The name a lone operator types to confirm a RED action' }) resourceName!: string;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
  @ApiProperty({ type: RequesterDto }) requestedBy!: RequesterDto;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty() fingerprint!: string;
  @ApiProperty({ type: BlastRadiusDto }) blastRadius!: BlastRadiusDto;
  @ApiProperty({ description: 'RED needs two distinct operators' }) twoPerson!: boolean;
  @ApiProperty({ description: 'Grows with every change; the newest snapshot wins' }) version!: number;
  @ApiProperty({ type: [DecisionViewDto] }) decisions!: DecisionViewDto[];
}

export class ApprovalListDto {
  @ApiProperty({ type: [ApprovalViewDto] }) items!: ApprovalViewDto[];
}

export class ApprovalSnapshotDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['pending', 'approved', 'rejected', 'expired'] }) status!: string;
  @ApiProperty({ enum: ['YELLOW', 'RED'] }) tier!: string;
  @ApiProperty() fingerprint!: string;
  @ApiProperty({ type: [DecisionViewDto] }) decisions!: DecisionViewDto[];
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}
