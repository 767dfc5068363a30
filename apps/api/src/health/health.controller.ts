import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { AuthService } from '../auth/auth.service';
import { type HttpRequest, type HttpResponse } from '../common/http.types';
import { ComponentHealthDto, HealthReportDto } from './health.dto';
import { HealthService, type HealthReport } from './health.service';

@ApiTags('health')
@ApiExtraModels(ComponentHealthDto)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly auth: AuthService,
  ) {}

  @Public()
  @Get()
  @ApiOperation({
    summary:
      'Component health; 200 when ok or degraded, 503 when Temporal or the database is down. Without a token only the statuses; with a bearer token also the reasons and the workflows stuck on a failing task',
  })
  @ApiOkResponse({ type: HealthReportDto })
  @ApiServiceUnavailableResponse({ type: HealthReportDto })
  async check(@Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<HealthReport> {
    // Public, so a bad or missing token is not an error here: it only leaves the details out.
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const report =
      token && this.auth.verify(token) ? await this.health.detailed() : publicView(await this.health.check());
    res.status(report.status === 'down' ? 503 : 200);
    return report;
  }
}

/** The statuses only: reasons (addresses, privileges, errors) help an attacker and need a token. */
function publicView(report: HealthReport): HealthReport {
  return {
    status: report.status,
    components: Object.fromEntries(
      Object.entries(report.components).map(([name, c]) => [name, { status: c.status, latencyMs: c.latencyMs }]),
    ),
  };
}
