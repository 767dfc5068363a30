import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'jarvis:public';

/** Opts a route out of the global bearer-token guard (health, login). Everything else needs a token. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
