import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { type AuthUser } from '../common/http.types';
import {
  AutonomyDto,
  AutonomyParamDto,
  FailureResetDto,
  FailureResetResultDto,
  GuardrailsDto,
  IncidentKeyParamDto,
  KillSwitchDto,
  KillSwitchStateDto,
  RunbookDto,
} from './guardrails.dto';
import {
  GuardrailsService,
  type FailureReset,
  type GuardrailsView,
  type KillSwitchState,
  type RunbookView,
} from './guardrails.service';

@ApiTags('guardrails')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('guardrails')
export class GuardrailsController {
  constructor(private readonly guardrails: GuardrailsService) {}

  @Get()
  @ApiOperation({ summary: 'The guardrails in force: the kill switch, the limits and each runbook’s autonomy level' })
  @ApiOkResponse({ type: GuardrailsDto })
  get(): Promise<GuardrailsView> {
    return this.guardrails.get();
  }

  @Put('kill-switch')
  @ApiOperation({ summary: 'Engage or release the kill switch (audited with who)' })
  @ApiOkResponse({ type: KillSwitchStateDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto })
  @ApiServiceUnavailableResponse({ type: ErrorEnvelopeDto })
  setKillSwitch(@Body() body: KillSwitchDto, @CurrentUser() user: AuthUser): Promise<KillSwitchState> {
    return this.guardrails.setKillSwitch(body.engaged, user);
  }

  @Put('autonomy/:incidentClass')
  @ApiOperation({ summary: "Set a runbook's autonomy level (audited with who)" })
  @ApiOkResponse({ type: RunbookDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto })
  @ApiServiceUnavailableResponse({ type: ErrorEnvelopeDto })
  setAutonomy(
    @Param() p: AutonomyParamDto,
    @Body() body: AutonomyDto,
    @CurrentUser() user: AuthUser,
  ): Promise<RunbookView> {
    return this.guardrails.setAutonomy(p.incidentClass, body.level, user);
  }

  @Post('failures/:incidentKey/reset')
  @HttpCode(200)
  @ApiOperation({
    summary: "Reset an incident's failures so its runbook tries again (through the guardian; audited with who)",
  })
  @ApiOkResponse({ type: FailureResetResultDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto })
  @ApiServiceUnavailableResponse({ type: ErrorEnvelopeDto })
  resetFailures(
    @Param() p: IncidentKeyParamDto,
    @Body() body: FailureResetDto,
    @CurrentUser() user: AuthUser,
  ): Promise<FailureReset> {
    return this.guardrails.resetFailures(p.incidentKey, body.reason, user);
  }
}
