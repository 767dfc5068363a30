import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// OpenAPI shapes of the CONTRACT "Cluster fields"; the values come from @jarvis/activities' ClusterState.

class NodeTemperatureDto {
  @ApiProperty() packageC!: number;
  @ApiProperty() maxCoreC!: number;
}

export class ClusterNodeDto {
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['online', 'offline', 'unknown'] }) status!: string;
  @ApiProperty({ description: '0–1' }) cpu!: number;
  @ApiProperty() mem!: number;
  @ApiProperty() maxmem!: number;
  @ApiProperty() disk!: number;
  @ApiProperty() maxdisk!: number;
  @ApiProperty() uptime!: number;
  @ApiProperty({ type: NodeTemperatureDto, nullable: true }) temperature!: NodeTemperatureDto | null;
}

export class ClusterGuestDto {
  @ApiProperty() vmid!: number;
  @ApiProperty() node!: string;
  @ApiProperty({ enum: ['qemu', 'lxc'] }) type!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['running', 'stopped', 'paused', 'unknown'] }) status!: string;
  @ApiProperty() template!: boolean;
  @ApiPropertyOptional() lock?: string;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiPropertyOptional() hastate?: string;
  @ApiPropertyOptional({
    enum: ['running', 'stopped'],
    description:
      'What the operator last asked for (through Jarvis or Proxmox’s UI); the monitor compares it with status',
  })
  desired?: string;
  @ApiProperty() cpu!: number;
  @ApiProperty() mem!: number;
  @ApiProperty() maxmem!: number;
  @ApiProperty() uptime!: number;
}

export class ClusterStorageDto {
  @ApiProperty() node!: string;
  @ApiProperty() storage!: string;
  @ApiProperty() type!: string;
  @ApiProperty() shared!: boolean;
  @ApiProperty() used!: number;
  @ApiProperty() total!: number;
  @ApiProperty() usedFraction!: number;
  @ApiProperty() status!: string;
}

class ClusterQuorumDto {
  @ApiProperty() quorate!: boolean;
  @ApiProperty() nodes!: number;
  @ApiPropertyOptional() expected?: number;
  @ApiPropertyOptional({ description: 'true when /cluster/status could not be read: quorate means nothing' })
  unknown?: boolean;
}

class ClusterUnavailableDto {
  @ApiProperty({ example: '/cluster/status' }) read!: string;
  @ApiProperty({ example: 'PERMISSION' }) code!: string;
  @ApiProperty({ example: 'Permission check failed (/, Sys.Audit)' }) reason!: string;
  @ApiProperty({ example: 'quorum and cluster membership' }) unknown!: string;
}

export class ClusterStateDto {
  @ApiProperty({ type: ClusterQuorumDto }) quorum!: ClusterQuorumDto;
  @ApiProperty({ type: [ClusterNodeDto] }) nodes!: ClusterNodeDto[];
  @ApiProperty({ type: [ClusterGuestDto] }) guests!: ClusterGuestDto[];
  @ApiProperty({ type: [ClusterStorageDto] }) storage!: ClusterStorageDto[];
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ description: 'true when this is the last good state and the latest fetch failed' }) stale!: boolean;
  @ApiPropertyOptional({
    type: [ClusterUnavailableDto],
    description: 'Reads Proxmox refused to the token: what is missing from this state, and why',
  })
  unavailable?: ClusterUnavailableDto[];
}
