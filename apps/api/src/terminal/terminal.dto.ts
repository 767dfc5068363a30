import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsNodeName, ToInteger } from '../common/validators';

// Postgres text cannot hold NUL: refused here as bad input rather than failing in the query.
// eslint-disable-next-line no-control-regex
const NO_NUL = /^[^\x00]*$/;

export class TerminalTicketRequestDto {
  @ApiProperty({ example: 'pve', description: 'The node the terminal opens on' })
  @IsNodeName()
  node!: string;

  @ApiPropertyOptional({
    format: 'password',
    description: "The operator's password; needed unless the login is under five minutes old",
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  password?: string;

  @ApiPropertyOptional({
    example: 'agent1',
    description: "The node's name typed again; needed for Jarvis's own node (TERMINAL_OWN_NODE_CONFIRM)",
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  @Matches(NO_NUL, { message: 'confirmNode must not contain NUL' })
  confirmNode?: string;
}

export class TerminalTicketDto {
  @ApiProperty({ description: 'Single use, bound to the operator and the node; send it in terminal.open' })
  ticket!: string;
  @ApiProperty({ format: 'date-time', description: 'About 60 s from now' })
  expiresAt!: string;
  @ApiProperty({ example: 'pve' })
  node!: string;
}

export class TerminalRecordingQueryDto {
  @ApiPropertyOptional({ example: 'pve' })
  @IsOptional()
  @IsNodeName()
  node?: string;

  @ApiPropertyOptional({ example: 'operator' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  @Matches(NO_NUL, { message: 'operator must not contain NUL' })
  operator?: string;

  @ApiPropertyOptional({
    example: 'hostname',
    description: 'Command search: sessions whose echoed input or output contains this text (case-insensitive)',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @Matches(NO_NUL, { message: 'q must not contain NUL' })
  q?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @IsOptional()
  @ToInteger()
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class TerminalSessionIdDto {
  @ApiProperty({ example: '01JD0000000000000000000000' })
  @Matches(/^[0-9A-Z]{26}$/, { message: 'id must be a terminal session id' })
  id!: string;
}

class TerminalRecordingDto {
  @ApiProperty({ description: 'The terminal session id' }) id!: string;
  @ApiProperty() operator!: string;
  @ApiProperty() node!: string;
  @ApiProperty() cols!: number;
  @ApiProperty() rows!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) endedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'closed' }) endReason!: string | null;
  @ApiProperty({ description: 'Size of the cast in bytes' }) bytes!: number;
  @ApiProperty({ description: 'The per-session cap cut the recording short' }) truncated!: boolean;
}

export class TerminalRecordingListDto {
  @ApiProperty({ type: [TerminalRecordingDto] }) items!: TerminalRecordingDto[];
}
