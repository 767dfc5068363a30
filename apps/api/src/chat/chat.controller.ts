import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CurrentUser } from '../auth/current-user.decorator';
import { ErrorEnvelopeDto } from '../common/error.dto';
import { type AuthUser } from '../common/http.types';
import {
  ChatMessageDto,
  ChatSessionCreatedDto,
  ChatSessionParamDto,
  ChatSessionViewDto,
  ChatTurnStartedDto,
  CostsQueryDto,
  CostsViewDto,
} from './chat.dto';
import { ChatService } from './chat.service';

@ApiTags('chat')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('chat/sessions')
export class ChatController {
  constructor(private readonly chat: ChatService) {}

  @Post()
  @ApiOperation({ summary: 'Start a chat session' })
  @ApiCreatedResponse({ type: ChatSessionCreatedDto })
  create(@CurrentUser() user: AuthUser): Promise<{ id: string }> {
    return this.chat.createSession(user);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A session and its messages' })
  @ApiOkResponse({ type: ChatSessionViewDto })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto })
  get(@Param() p: ChatSessionParamDto) {
    return this.chat.session(p.id);
  }

  @Post(':id/messages')
  @HttpCode(202)
  @ApiOperation({ summary: 'Say something; the turn runs as a workflow and its reply streams on /chat' })
  @ApiAcceptedResponse({ type: ChatTurnStartedDto })
  @ApiNotFoundResponse({ type: ErrorEnvelopeDto })
  send(@Param() p: ChatSessionParamDto, @Body() body: ChatMessageDto, @CurrentUser() user: AuthUser) {
    return this.chat.send(p.id, body.text, user);
  }
}

@ApiTags('chat')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ type: ErrorEnvelopeDto })
@Controller('costs')
export class CostsController {
  constructor(private readonly chat: ChatService) {}

  @Get()
  @ApiOperation({ summary: 'LLM spend and tokens by provider, and the budget caps' })
  @ApiOkResponse({ type: CostsViewDto })
  costs(@Query() q: CostsQueryDto) {
    return this.chat.costsFor(q.period);
  }
}
