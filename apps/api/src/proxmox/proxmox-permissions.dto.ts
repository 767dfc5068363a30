import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CAPABILITY_IDS,
  type CapabilityAssessment,
  type CapabilityId,
  type CapabilityStatus,
  type MissingPrivilege,
  type PermissionReport,
} from '@jarvis/policies';

export class MissingPrivilegeDto implements MissingPrivilege {
  @ApiProperty({ example: 'VM.PowerMgmt' }) privilege!: string;
  @ApiProperty({ example: '/vms', description: 'The ACL path to grant it on, with propagation' }) path!: string;
}

export class CapabilityAssessmentDto implements CapabilityAssessment {
  @ApiProperty({ enum: CAPABILITY_IDS }) id!: CapabilityId;
  @ApiProperty({ example: 'Guest power actions' }) label!: string;
  @ApiProperty() enables!: string;
  @ApiProperty({
    enum: ['available', 'partial', 'unavailable'],
    description: 'partial: only on some guests, pools, nodes or storages (grantedOn)',
  })
  status!: CapabilityStatus;
  @ApiProperty({ type: [String], example: ['/pool/prod', '/vms/100'] }) grantedOn!: string[];
  @ApiProperty({ type: [MissingPrivilegeDto] }) missing!: MissingPrivilegeDto[];
}

export class PermissionReportDto implements PermissionReport {
  @ApiProperty({ format: 'date-time' }) checkedAt!: string;
  @ApiProperty({ example: 'jarvis@pve!ops', description: 'The API token checked' }) tokenUser!: string;
  @ApiProperty({ type: [CapabilityAssessmentDto] }) capabilities!: CapabilityAssessmentDto[];
  @ApiPropertyOptional({ description: "Why the token's permissions could not be read; then nothing is available" })
  error?: string;
}
