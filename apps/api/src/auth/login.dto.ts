import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'operator' })
  @IsString()
  @Length(1, 128)
  username!: string;

  @ApiProperty({ format: 'password' })
  @IsString()
  @Length(1, 1024)
  password!: string;
}

export class LoginResponseDto {
  @ApiProperty({ description: 'HS256 JWT; send as `Authorization: Bearer <token>` and as `auth.token` on sockets' })
  token!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
}
