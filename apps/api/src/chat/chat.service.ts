import { Inject, Injectable } from '@nestjs/common';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { ChatRepository, LlmCostsRepository, type ChatMessageView, type CostTotals } from '@jarvis/db';
import { extractPasskey, requesterFields } from '@jarvis/policies';
import { CHAT_TURN_WORKFLOW, chatTurnWorkflowId, type ChatTurnInput } from '@jarvis/workflows/api';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { type AuthUser } from '../common/http.types';
import { ApiError } from '../errors/api-error';
import { ulid } from '../guests/workflow-id';
import { DecisionSigner } from '../auth/decision-signer';
import { PolicyDataService } from '../guests/policy-data.service';
import { TemporalService } from '../infra/temporal.service';
import { ChatTurnWatchService } from './chat-turn-watch.service';

const START_TIMEOUT_MS = 5000;
const PERIOD_DAYS = { day: 1, week: 7, month: 30 } as const;

/** Chat sessions and turns: the API records the operator's message and starts the turn workflow; the reply streams on /chat. */
@Injectable()
export class ChatService {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly chat: ChatRepository,
    private readonly costs: LlmCostsRepository,
    private readonly temporal: TemporalService,
    private readonly turns: ChatTurnWatchService,
    private readonly signer: DecisionSigner,
    private readonly policies: PolicyDataService,
  ) {}

  async createSession(user: AuthUser): Promise<{ id: string }> {
    const id = `s${ulid()}`;
    await this.chat.createSession(id, user.username);
    return { id };
  }

  async session(id: string): Promise<{ id: string; messages: ChatMessageView[] }> {
    if (!(await this.chat.sessionExists(id))) throw new ApiError('NOT_FOUND', `no chat session ${id}`);
    return { id, messages: await this.chat.messages(id) };
  }

  async send(id: string, raw: string, user: AuthUser): Promise<{ workflowId: string }> {
    if (!(await this.chat.sessionExists(id))) throw new ApiError('NOT_FOUND', `no chat session ${id}`);
    // The passkey is cut out here, before anything is stored or started: what goes on is the
    // API's signed grant for this one turn, never the phrase or its hash.
    const passkey = this.config.chat.overridePasskey;
    const { text, said } = extractPasskey(raw, passkey);
    await this.policies.forRequest();
    const turn = await this.chat.addUserMessage(id, text, (t) => chatTurnWorkflowId(id, t));
    const workflowId = chatTurnWorkflowId(id, turn);
    const input: ChatTurnInput = {
      sessionId: id,
      turn,
      text,
      requestedBy: user.username,
      requesterVoucher: this.signer.sign(
        'requester',
        requesterFields({ workflowId, kind: 'operator', id: user.username }),
      ),
      ...(said && passkey
        ? { overrideGrant: this.signer.sign('override-grant', { workflowId, by: user.username }) }
        : {}),
      approvalTtlMs: this.config.approvalTtlMs,
      escalateAfterMs: this.config.approvalEscalateMs,
    };
    await this.temporal.call(START_TIMEOUT_MS, (client) =>
      client.workflow.start(CHAT_TURN_WORKFLOW, {
        taskQueue: this.config.temporal.taskQueue,
        workflowId,
        args: [input],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      }),
    );
    this.turns.watch(workflowId, id, turn);
    return { workflowId };
  }

  async costsFor(period: 'day' | 'week' | 'month' = 'day') {
    const since = new Date(Date.now() - PERIOD_DAYS[period] * 24 * 3600_000);
    const [items, spent] = await Promise.all([this.costs.totals(since), this.costs.spent()]);
    return {
      period,
      since: since.toISOString(),
      items: items satisfies CostTotals[],
      totalUsd: Math.round(items.reduce((a, b) => a + b.costUsd, 0) * 1e6) / 1e6,
      budget: {
        dailyCapUsd: this.config.chat.budgetDailyUsd ?? null,
        monthlyCapUsd: this.config.chat.budgetMonthlyUsd ?? null,
        spentTodayUsd: spent.todayUsd,
        spentMonthUsd: spent.monthUsd,
      },
    };
  }
}
