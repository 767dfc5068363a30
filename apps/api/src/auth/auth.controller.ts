import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ClientAddress } from '../common/client-address.decorator';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { AuthService, type LoginResult } from './auth.service';
import { LoginDto, LoginResponseDto } from './login.dto';
import { Public } from './public.decorator';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange an operator name and password for a bearer token' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
  @ApiTooManyRequestsResponse({ type: ErrorEnvelopeDto, description: 'Too many failed attempts; see Retry-After' })
  login(@Body() body: LoginDto, @ClientAddress() address: string): Promise<LoginResult> {
    return this.auth.login(body.username, body.password, address);
  }
}
