import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type PermissionReport } from '@jarvis/policies';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { PermissionReportDto } from './proxmox-permissions.dto';
import { ProxmoxPermissionsService } from './proxmox-permissions.service';

@ApiTags('proxmox')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('proxmox/permissions')
export class ProxmoxPermissionsController {
  constructor(private readonly permissions: ProxmoxPermissionsService) {}

  @Get()
  @ApiOperation({
    summary:
      "What Jarvis's Proxmox token can do, as last checked: each capability available, partial or unavailable, and the privilege and path that would enable it",
  })
  @ApiOkResponse({ type: PermissionReportDto })
  @ApiServiceUnavailableResponse({ type: ErrorEnvelopeDto })
  get(): Promise<PermissionReport> {
    return this.permissions.last();
  }

  @Post('check')
  @HttpCode(200)
  @ApiOperation({ summary: "Check the token's permissions now (GET /access/permissions) and store the report" })
  @ApiOkResponse({ type: PermissionReportDto })
  @ApiServiceUnavailableResponse({ type: ErrorEnvelopeDto })
  check(): Promise<PermissionReport> {
    return this.permissions.run();
  }
}
