import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { IsEntityId } from '../common/validators';

export class ChatSessionParamDto {
  @ApiProperty({ example: 's01JD8X3Q4ZC5M2N7P9R1S3T5V7' })
  @IsEntityId()
  id!: string;
}

export class ChatMessageDto {
  @ApiProperty({ minLength: 1, maxLength: 4000, example: 'How is the cluster?' })
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  text!: string;
}

export class CostsQueryDto {
  @ApiPropertyOptional({ enum: ['day', 'week', 'month'] })
  @IsOptional()
  @IsIn(['day', 'week', 'month'])
  period?: 'day' | 'week' | 'month';
}

export class ChatSessionCreatedDto {
  @ApiProperty()
  id!: string;
}

export class ChatTurnStartedDto {
  @ApiProperty({ example: 'chat:s01JD8X3Q4ZC5M2N7P9R1S3T5V7:1' })
  workflowId!: string;
}

export class ChatMessageViewDto {
  @ApiProperty({ enum: ['user', 'assistant'] }) role!: string;
  @ApiProperty() text!: string;
  @ApiPropertyOptional({ enum: ['claude', 'local', 'offline'] }) provider?: string;
  @ApiPropertyOptional() workflowId?: string;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' } }) cards?: unknown[];
  @ApiPropertyOptional() costUsd?: number;
  @ApiProperty() at!: string;
}

export class ChatSessionViewDto {
  @ApiProperty() id!: string;
  @ApiProperty({ type: [ChatMessageViewDto] }) messages!: ChatMessageViewDto[];
}

export class CostsViewDto {
  @ApiProperty({ enum: ['day', 'week', 'month'] }) period!: string;
  @ApiProperty() since!: string;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) items!: unknown[];
  @ApiProperty() totalUsd!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) budget!: Record<string, unknown>;
}
