import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ClientAddress } from '../common/client-address.decorator';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { type HttpRequest, type HttpResponse } from '../common/http.types';
import { AuthService, type IssuedTokens, type LoginResult } from './auth.service';
import { CurrentUser } from './current-user.decorator';
import { LoginDto, LoginResponseDto } from './login.dto';
import { Public } from './public.decorator';
import { clearRefreshCookie, readRefreshCookie, REFRESH_COOKIE, setRefreshCookie } from './refresh-cookie';
import { type AuthUser } from '../common/http.types';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange an operator name and password for a bearer token and a refresh cookie' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
  @ApiTooManyRequestsResponse({ type: ErrorEnvelopeDto, description: 'Too many failed attempts; see Retry-After' })
  async login(
    @Body() body: LoginDto,
    @ClientAddress() address: string,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<LoginResult> {
    return withCookie(req, res, await this.auth.login(body.username, body.password, address));
  }

  // No bearer token: the httpOnly cookie is the credential (a page reload has no token in memory).
  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiCookieAuth(REFRESH_COOKIE)
  @ApiOperation({ summary: 'A new access token from the refresh cookie (which is rotated)' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiUnauthorizedResponse({ type: ErrorEnvelopeDto, description: 'No cookie, or its session ended' })
  async refresh(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<LoginResult> {
    try {
      return withCookie(req, res, await this.auth.refresh(readRefreshCookie(req)));
    } catch (err) {
      clearRefreshCookie(req, res);
      throw err;
    }
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session: its tokens are refused and its sockets closed' })
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
  async logout(
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<void> {
    await this.auth.logout(user);
    clearRefreshCookie(req, res);
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End every session of this operator, on every device' })
  @ApiNoContentResponse()
  @ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
  async logoutAll(
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<void> {
    await this.auth.logoutAll(user);
    clearRefreshCookie(req, res);
  }
}

function withCookie(req: HttpRequest, res: HttpResponse, issued: IssuedTokens): LoginResult {
  if (issued.refresh) setRefreshCookie(req, res, issued.refresh.value, issued.refresh.expiresAt);
  return issued.result;
}
