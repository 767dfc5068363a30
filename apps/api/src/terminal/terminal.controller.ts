import { Body, Controller, Get, Header, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type TerminalRecordingRow } from '@jarvis/db';
import { CurrentUser } from '../auth/current-user.decorator';
import { ClientAddress } from '../common/client-address.decorator';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { type AuthUser, type HttpRequest } from '../common/http.types';
import { TerminalAccessService, type TicketResult } from './terminal-access.service';
import { TerminalRecordingsService } from './terminal-recordings.service';
import {
  TerminalRecordingListDto,
  TerminalRecordingQueryDto,
  TerminalSessionIdDto,
  TerminalTicketDto,
  TerminalTicketRequestDto,
} from './terminal.dto';

@ApiTags('terminal')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@ApiBadRequestResponse({ type: ErrorEnvelopeDto })
@Controller('terminal')
export class TerminalController {
  constructor(
    private readonly access: TerminalAccessService,
    private readonly recordings: TerminalRecordingsService,
  ) {}

  @Post('tickets')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Step-up for a terminal: a single-use ticket (60 s) for one node, sent in terminal.open',
    description:
      'Issued when the login is under five minutes old or `password` is confirmed; a wrong password counts ' +
      "as a failed login. Jarvis's own node also needs `confirmNode` equal to its name.",
  })
  @ApiOkResponse({ type: TerminalTicketDto })
  @ApiForbiddenResponse({
    type: ErrorEnvelopeDto,
    description: 'STEP_UP_REQUIRED, STEP_UP_FAILED (wrong password) or NODE_CONFIRMATION_REQUIRED',
  })
  @ApiTooManyRequestsResponse({ type: ErrorEnvelopeDto, description: 'Too many wrong passwords; see Retry-After' })
  ticket(
    @Body() body: TerminalTicketRequestDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @ClientAddress() address: string,
  ): Promise<TicketResult> {
    return this.access.issue(user.username, bearerOf(req), body, address);
  }

  @Get('recordings')
  @ApiOperation({
    summary: 'Terminal session recordings, newest first; `q` finds the sessions that ran or printed a command',
  })
  @ApiOkResponse({ type: TerminalRecordingListDto })
  list(@Query() q: TerminalRecordingQueryDto): Promise<{ items: TerminalRecordingRow[] }> {
    return this.recordings.list(q);
  }

  @Get('recordings/:id')
  @Header('content-type', 'application/x-asciicast')
  @ApiOperation({ summary: 'One recording as an asciicast v2 file (header line, then events)' })
  @ApiProduces('application/x-asciicast')
  @ApiOkResponse({ schema: { type: 'string' } })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto })
  cast(@Param() p: TerminalSessionIdDto): Promise<string> {
    return this.recordings.cast(p.id);
  }
}

/** The bearer token the guard already verified (it let the request through). */
function bearerOf(req: HttpRequest): string {
  return /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
}
