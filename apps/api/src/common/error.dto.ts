import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class ErrorDetailDto {
  @ApiProperty({ example: 'BAD_REQUEST' }) code!: string;
  @ApiProperty({ example: 'vmid must be an integer between 100 and 999999999' }) message!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

/** The CONTRACT error envelope, for the OpenAPI document. */
export class ErrorEnvelopeDto {
  @ApiProperty({ type: ErrorDetailDto }) error!: ErrorDetailDto;
}
