import { type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { REFRESH_COOKIE } from './auth/refresh-cookie';

/**
 * The OpenAPI document (`/api/docs-json`) and Swagger UI (`/api/docs`). Both are public: they
 * describe the API, they do not expose data. Every protected operation carries bearer security,
 * and the security acceptance check walks this document, so a route missing here is untested.
 */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Jarvis API')
    .setDescription(
      'Operations for a Proxmox VE cluster. Every action is a durable Temporal workflow. ' +
        'Errors are always `{ error: { code, message, details? } }`. Live updates: socket.io at `/socket.io`, namespaces `/live`, `/chat`, `/terminal`, with the token in `auth.token`.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .addCookieAuth(REFRESH_COOKIE, { type: 'apiKey', in: 'cookie', name: REFRESH_COOKIE }, REFRESH_COOKIE)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { useGlobalPrefix: true, raw: ['json'], jsonDocumentUrl: 'docs-json' });
}
