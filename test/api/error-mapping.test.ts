import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ProxmoxError } from '@jarvis/activities';
import { ApiError } from '../../apps/api/src/errors/api-error';
import { toErrorResponse } from '../../apps/api/src/errors/error-mapping';
import { TemporalUnavailableError } from '../../apps/api/src/infra/temporal.service';

const map = (err: unknown) => toErrorResponse(err, () => 'corr-1');

describe('toErrorResponse', () => {
  it('maps domain codes to statuses, with Retry-After and WWW-Authenticate where they belong', () => {
    expect(map(new ApiError('RATE_LIMITED', 'slow down', { retryAfterSeconds: 42 }))).toMatchObject({
      status: 429,
      headers: { 'Retry-After': '42' },
    });
    expect(map(new ApiError('UNAUTHORIZED', 'no'))).toMatchObject({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
    expect(map(new ApiError('POLICY_BLOCKED', 'blocked', { tier: 'BLACK' })).body).toEqual({
      error: { code: 'POLICY_BLOCKED', message: 'blocked', details: { tier: 'BLACK' } },
    });
    expect(map(new ApiError('SAME_OPERATOR', 'x')).status).toBe(403);
    expect(map(new ApiError('TYPED_NAME_REQUIRED', 'x')).status).toBe(403);
    expect(map(new ApiError('NOT_PENDING', 'x')).status).toBe(409);
    expect(map(new ApiError('FINGERPRINT_MISMATCH', 'x')).status).toBe(409);
  });

  it('maps Proxmox failures as upstream trouble (502), a missing thing as 404', () => {
    expect(map(new ProxmoxError('NODE_UNREACHABLE', 'no route'))).toMatchObject({
      status: 502,
      body: { error: { code: 'PROXMOX_UNREACHABLE' } },
    });
    expect(map(new ProxmoxError('AUTH', 'bad token'))).toMatchObject({
      status: 502,
      body: { error: { code: 'PROXMOX_AUTH' } },
    });
    expect(map(new ProxmoxError('TLS', 'pin mismatch')).status).toBe(502);
    expect(map(new ProxmoxError('NOT_FOUND', 'gone')).status).toBe(404);
  });

  it('maps framework and parser errors to 4xx without echoing the body', () => {
    expect(map(new NotFoundException('Cannot GET /api/x')).body.error.code).toBe('NOT_FOUND');
    expect(map(new BadRequestException(['a is bad', 'b is bad'])).body.error).toEqual({
      code: 'BAD_REQUEST',
      message: 'a is bad; b is bad',
      details: { errors: ['a is bad', 'b is bad'] },
    });
    const parse = Object.assign(new SyntaxError('Unexpected token in "password":"hunter2'), {
      status: 400,
      expose: true,
      type: 'entity.parse.failed',
    });
    expect(JSON.stringify(map(parse))).not.toContain('hunter2');
    expect(
      map(Object.assign(new Error('too big'), { status: 413, expose: true, type: 'entity.too.large', limit: 262144 }))
        .status,
    ).toBe(413);
  });

  it('maps an unreachable Temporal and Postgres to 503', () => {
    expect(map(new TemporalUnavailableError('down'))).toMatchObject({
      status: 503,
      body: { error: { code: 'TEMPORAL_UNAVAILABLE' } },
    });
    expect(map(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toMatchObject({
      status: 503,
      body: { error: { code: 'DATABASE_UNAVAILABLE' } },
    });
  });

  it('turns anything else into a 500 INTERNAL with a correlation id and nothing of the error itself', () => {
    const res = map(new TypeError('secret internals at /srv/app.js'));
    expect(res).toMatchObject({
      status: 500,
      correlationId: 'corr-1',
      body: { error: { code: 'INTERNAL', details: { correlationId: 'corr-1' } } },
    });
    expect(JSON.stringify(res.body)).not.toContain('secret');
  });
});
