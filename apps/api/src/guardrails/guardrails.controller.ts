import { Body, Controller, Get, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { type AuthUser } from '../common/http.types';
import { GuardrailsDto, KillSwitchDto, KillSwitchStateDto } from './guardrails.dto';
import { GuardrailsService, type KillSwitchState } from './guardrails.service';

@ApiTags('guardrails')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('guardrails')
export class GuardrailsController {
  constructor(private readonly guardrails: GuardrailsService) {}

  @Get()
  @ApiOperation({ summary: 'The guardrails in force (the kill switch)' })
  @ApiOkResponse({ type: GuardrailsDto })
  get(): Promise<{ killSwitch: KillSwitchState }> {
    return this.guardrails.get();
  }

  @Put('kill-switch')
  @ApiOperation({ summary: 'Engage or release the kill switch (audited with who)' })
  @ApiOkResponse({ type: KillSwitchStateDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto })
  setKillSwitch(@Body() body: KillSwitchDto, @CurrentUser() user: AuthUser): Promise<KillSwitchState> {
    return this.guardrails.setKillSwitch(body.engaged, user);
  }
}
