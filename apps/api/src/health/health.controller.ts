import { Controller, Get, Res } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import { type HttpResponse } from '../common/http.types';
import { ComponentHealthDto, HealthReportDto } from './health.dto';
import { HealthService, type HealthReport } from './health.service';

@ApiTags('health')
@ApiExtraModels(ComponentHealthDto)
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Component health; 200 when ok or degraded, 503 when Temporal or the database is down' })
  @ApiOkResponse({ type: HealthReportDto })
  @ApiServiceUnavailableResponse({ type: HealthReportDto })
  async check(@Res({ passthrough: true }) res: HttpResponse): Promise<HealthReport> {
    const report = await this.health.check();
    res.status(report.status === 'down' ? 503 : 200);
    return report;
  }
}
