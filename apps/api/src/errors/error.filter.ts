import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { type HttpRequest, type HttpResponse } from '../common/http.types';
import { toErrorResponse } from './error-mapping';

/**
 * Every HTTP error leaves through here as `{ error: { code, message, details? } }`. Only an
 * unexpected fault is logged with its stack, under the correlation id the client also gets;
 * nothing from the request (headers, body) is logged, so no token or password can leak.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    // Socket gateways report through their own acknowledgements; this filter is HTTP only.
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    const res = http.getResponse<HttpResponse>();
    const req = http.getRequest<HttpRequest>();
    const mapped = toErrorResponse(exception, randomUUID);
    if (mapped.correlationId) {
      const detail = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
      this.logger.error(`[${mapped.correlationId}] ${req.method} ${req.path}: ${detail}`);
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(mapped.headers)) res.setHeader(name, value);
    res.status(mapped.status).json(mapped.body);
  }
}
