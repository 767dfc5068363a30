import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { API_CONFIG, type ApiConfig } from './api-config';
import { ApprovalsController } from './approvals/approvals.controller';
import { ApprovalsService } from './approvals/approvals.service';
import { AuditController } from './audit/audit.controller';
import { AuditService } from './audit/audit.service';
import { FeedRepository } from './audit/feed.repository';
import { AuthController } from './auth/auth.controller';
import { ChatEventsListener } from './chat/chat-events.listener';
import { ChatController, CostsController } from './chat/chat.controller';
import { ChatService } from './chat/chat.service';
import { ChatTurnWatchService } from './chat/chat-turn-watch.service';
import { AuthGuard } from './auth/auth.guard';
import { DecisionSigner } from './auth/decision-signer';
import { AuthService } from './auth/auth.service';
import { LoginRateLimiter } from './auth/login-rate-limiter';
import { OperatorDirectory } from './auth/operators';
import { SessionRevocations } from './auth/session-revocations';
import { ClusterController } from './cluster/cluster.controller';
import { ClusterService } from './cluster/cluster.service';
import { GuestDesiredStates } from './cluster/guest-desired-states.service';
import { NodeTemperatures } from './cluster/node-temperatures.service';
import { GuardrailsController } from './guardrails/guardrails.controller';
import { GuardrailsService } from './guardrails/guardrails.service';
import { GuestActionsService } from './guests/guest-actions.service';
import { GuestsController } from './guests/guests.controller';
import { PolicyDataService } from './guests/policy-data.service';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { StuckWorkflowsService } from './health/stuck-workflows.service';
import { IncidentsController } from './incidents/incidents.controller';
import { INCIDENTS_REPOSITORY_PROVIDER, IncidentsService } from './incidents/incidents.service';
import { DATABASE_PROVIDERS } from './infra/database.providers';
import { PROXMOX_PROVIDERS } from './infra/proxmox.providers';
import { SSH_PROVIDERS } from './infra/ssh.providers';
import { TEMPORAL_PROVIDER } from './infra/temporal.service';
import { ChatGateway } from './live/chat.gateway';
import { EventsListener } from './live/events.listener';
import { LiveGateway } from './live/live.gateway';
import { TerminalGateway } from './live/terminal.gateway';
import { TerminalAccessService } from './terminal/terminal-access.service';
import { TerminalRecordingsService } from './terminal/terminal-recordings.service';
import { TerminalTickets } from './terminal/terminal-tickets';
import { TerminalController } from './terminal/terminal.controller';
import { NodeRrdController } from './nodes/node-rrd.controller';
import { NodeRrdService } from './nodes/node-rrd.service';
import { ProxmoxPermissionsController } from './proxmox/proxmox-permissions.controller';
import { ProxmoxPermissionsService } from './proxmox/proxmox-permissions.service';
import { TimelineController } from './workflows/timeline.controller';
import { TimelineService } from './workflows/timeline.service';

/**
 * One module: the API is a thin edge over Temporal, Postgres and PVE, and its features share
 * all three clients; splitting it into feature modules would only add re-exports.
 */
@Module({})
export class AppModule {
  static forRoot(config: ApiConfig, operators: OperatorDirectory, signer: DecisionSigner): DynamicModule {
    return {
      module: AppModule,
      controllers: [
        HealthController,
        AuthController,
        ClusterController,
        GuestsController,
        ApprovalsController,
        TimelineController,
        AuditController,
        GuardrailsController,
        IncidentsController,
        NodeRrdController,
        ProxmoxPermissionsController,
        ChatController,
        CostsController,
        TerminalController,
      ],
      providers: [
        { provide: API_CONFIG, useValue: config },
        { provide: OperatorDirectory, useValue: operators },
        { provide: DecisionSigner, useValue: signer },
        { provide: LoginRateLimiter, useValue: new LoginRateLimiter() },
        { provide: APP_GUARD, useClass: AuthGuard },
        SessionRevocations,
        AuthService,
        ...DATABASE_PROVIDERS,
        TEMPORAL_PROVIDER,
        ...PROXMOX_PROVIDERS,
        ...SSH_PROVIDERS,
        HealthService,
        StuckWorkflowsService,
        NodeTemperatures,
        ClusterService,
        GuestDesiredStates,
        PolicyDataService,
        GuestActionsService,
        ApprovalsService,
        TimelineService,
        FeedRepository,
        AuditService,
        GuardrailsService,
        INCIDENTS_REPOSITORY_PROVIDER,
        IncidentsService,
        NodeRrdService,
        ProxmoxPermissionsService,
        EventsListener,
        LiveGateway,
        ChatService,
        ChatTurnWatchService,
        ChatEventsListener,
        ChatGateway,
        { provide: TerminalTickets, useValue: new TerminalTickets() },
        TerminalAccessService,
        TerminalRecordingsService,
        TerminalGateway,
      ],
    };
  }
}
