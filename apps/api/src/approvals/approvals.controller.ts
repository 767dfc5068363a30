import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type ApprovalView } from '@jarvis/db';
import { type ApprovalSnapshot } from '@jarvis/workflows/api';
import { CurrentUser } from '../auth/current-user.decorator';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { type AuthUser } from '../common/http.types';
import {
  ApprovalIdParamDto,
  ApprovalListDto,
  ApprovalListQueryDto,
  ApprovalSnapshotDto,
  DecisionDto,
} from './approvals.dto';
import { ApprovalsService } from './approvals.service';

@ApiTags('approvals')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@ApiBadRequestResponse({ type: ErrorEnvelopeDto })
@Controller('approvals')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  @ApiOperation({ summary: 'Approval requests, newest first' })
  @ApiOkResponse({ type: ApprovalListDto })
  list(@Query() q: ApprovalListQueryDto): Promise<{ items: ApprovalView[] }> {
    return this.approvals.list(q.state);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve as the authenticated operator' })
  @ApiOkResponse({ type: ApprovalSnapshotDto })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto, description: 'No fingerprint, or a malformed body' })
  @ApiConflictResponse({
    type: ErrorEnvelopeDto,
    description:
      'Already decided, expired, fingerprint changed, not the approval this workflow now waits for, or the workflow has closed',
  })
  @ApiForbiddenResponse({
    type: ErrorEnvelopeDto,
    description: 'Not allowed to decide (same operator twice on RED, name not typed)',
  })
  approve(
    @Param() p: ApprovalIdParamDto,
    @Body() body: DecisionDto,
    @CurrentUser() user: AuthUser,
  ): Promise<ApprovalSnapshot> {
    return this.approvals.decide(p.id, 'approve', body, user);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject as the authenticated operator' })
  @ApiOkResponse({ type: ApprovalSnapshotDto })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto, description: 'No fingerprint, or a malformed body' })
  @ApiConflictResponse({ type: ErrorEnvelopeDto })
  @ApiForbiddenResponse({ type: ErrorEnvelopeDto })
  reject(
    @Param() p: ApprovalIdParamDto,
    @Body() body: DecisionDto,
    @CurrentUser() user: AuthUser,
  ): Promise<ApprovalSnapshot> {
    return this.approvals.decide(p.id, 'reject', body, user);
  }
}
