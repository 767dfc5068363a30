import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type HttpRequest } from '../common/http.types';
import { ApiError } from '../errors/api-error';
import { AuthService } from './auth.service';
import { IS_PUBLIC } from './public.decorator';

// The auth scheme is case-insensitive (RFC 9110 §11.1); the token itself is base64url segments.
const BEARER = /^Bearer ([A-Za-z0-9._-]{1,4096})$/i;

/**
 * The global guard: every route needs `Authorization: Bearer <jwt>` unless marked @Public.
 * Guards run before pipes, so a forged token is a 401 even where the parameters are also bad.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true; // sockets authenticate in their handshake middleware
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const match = BEARER.exec(req.headers.authorization ?? '');
    const session = match?.[1] ? this.auth.verify(match[1]) : undefined;
    if (!session) throw new ApiError('UNAUTHORIZED', match ? 'invalid or expired token' : 'a bearer token is required');
    req.user = session.user;
    return true;
  }
}
