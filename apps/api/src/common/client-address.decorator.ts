import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type HttpRequest } from './http.types';

/**
 * The peer's address. X-Forwarded-For is ignored on purpose: the API listens on loopback or
 * the operator's LAN without a trusted proxy, and a client-set header would let anyone reset
 * their own login rate limit.
 */
export const ClientAddress = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<HttpRequest>();
  return req.socket.remoteAddress ?? 'unknown';
});
