import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { POWER_ACTIONS, TIERS, VMID_MAX, VMID_MIN, type PowerAction } from '@jarvis/policies';
import { IsNodeName, ToInteger, VMID_MESSAGE } from '../common/validators';

export class GuestParamsDto {
  @ApiProperty({ example: 'pve', pattern: '^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$' })
  @IsNodeName()
  node!: string;

  @ApiProperty({ example: 100, minimum: VMID_MIN, maximum: VMID_MAX })
  @ToInteger()
  @IsInt({ message: VMID_MESSAGE })
  @Min(VMID_MIN, { message: VMID_MESSAGE })
  @Max(VMID_MAX, { message: VMID_MESSAGE })
  vmid!: number;
}

export class GuestActionDto {
  @ApiProperty({ enum: POWER_ACTIONS })
  @IsIn(POWER_ACTIONS, { message: `action must be one of ${POWER_ACTIONS.join(', ')}` })
  action!: PowerAction;

  @ApiPropertyOptional({ maxLength: 500, description: 'Why; shown on the approval card and kept in the audit' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class GuestActionAcceptedDto {
  @ApiProperty({ example: 'vm-action:pve:100:stop:01JD8X3Q4ZC5M2N7P9R1S3T5V7' }) workflowId!: string;
  @ApiProperty({ enum: TIERS }) tier!: string;
  @ApiProperty({
    description:
      "The workflow's phase (e.g. awaiting-approval, acting, or failed when it has already ended), or 'queued' when no worker has picked it up yet",
    example: 'awaiting-approval',
  })
  state!: string;
  @ApiPropertyOptional({
    description: "Once the run has ended: why (for failed, Proxmox's reason)",
    example: 'PERMISSION: Permission check failed (/vms/100, VM.PowerMgmt)',
  })
  reason?: string;
}
