import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type HttpRequest } from './http.types';

/**
 * The client's address, as the request middleware resolved it (create-api.ts): the peer, or the
 * address a trusted proxy vouched for (TRUSTED_PROXIES). A client-set X-Forwarded-For from an
 * untrusted peer is ignored, so nobody resets their own login rate limit with a header.
 */
export const ClientAddress = createParamDecorator((_data: unknown, ctx: ExecutionContext): string => {
  const req = ctx.switchToHttp().getRequest<HttpRequest>();
  return req.clientAddress ?? req.socket.remoteAddress ?? 'unknown';
});
