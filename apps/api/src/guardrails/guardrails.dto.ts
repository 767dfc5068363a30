import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';

export class KillSwitchDto {
  @ApiProperty({ description: 'true stops autonomous actions from starting; operator requests are unaffected' })
  @IsBoolean()
  engaged!: boolean;
}

export class KillSwitchStateDto {
  @ApiProperty() engaged!: boolean;
  @ApiPropertyOptional() updatedBy?: string;
  @ApiPropertyOptional({ format: 'date-time' }) updatedAt?: string;
}

export class GuardrailsDto {
  @ApiProperty({ type: KillSwitchStateDto }) killSwitch!: KillSwitchStateDto;
}
