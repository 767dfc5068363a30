import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { type AuthUser } from '../common/http.types';
import { GuestActionAcceptedDto, GuestActionDto, GuestParamsDto } from './guest-action.dto';
import { GuestActionsService, type GuestActionAccepted } from './guest-actions.service';

@ApiTags('guests')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('guests')
export class GuestsController {
  constructor(private readonly actions: GuestActionsService) {}

  @Post(':node/:vmid/actions')
  @HttpCode(202)
  @ApiOperation({ summary: 'Ask for a power action; it runs as a durable workflow behind the tier policy' })
  @ApiAcceptedResponse({ type: GuestActionAcceptedDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto })
  @ApiForbiddenResponse({
    type: ErrorEnvelopeDto,
    description: 'POLICY_BLOCKED: a BLACK action; details carry tier, workflowId and reason',
  })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto, description: 'GUEST_NOT_FOUND' })
  @ApiConflictResponse({ type: ErrorEnvelopeDto, description: 'NODE_OFFLINE' })
  request(
    @Param() p: GuestParamsDto,
    @Body() body: GuestActionDto,
    @CurrentUser() user: AuthUser,
  ): Promise<GuestActionAccepted> {
    return this.actions.request(p.node, p.vmid, body.action, body.reason, user);
  }
}
