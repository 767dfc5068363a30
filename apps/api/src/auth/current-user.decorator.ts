import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiError } from '../errors/api-error';
import { type AuthUser, type HttpRequest } from '../common/http.types';

/** The operator the guard authenticated; absent only on @Public routes, where it must not be used. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  const user = ctx.switchToHttp().getRequest<HttpRequest>().user;
  if (!user) throw new ApiError('UNAUTHORIZED', 'authentication required');
  return user;
});
