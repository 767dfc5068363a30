import { Injectable } from '@nestjs/common';
import { ApprovalsRepository, type ApprovalView } from '@jarvis/db';
import { decisionFields, type Verdict } from '@jarvis/policies';
import { DecisionSigner } from '../auth/decision-signer';
import { decideUpdate, type ApprovalSnapshot, type DecisionArgs } from '@jarvis/workflows/api';
import { type AuthUser } from '../common/http.types';
import { ApiError, ApiErrorCode } from '../errors/api-error';
import { isTemporalUnavailable, isWorkflowNotFound } from '../infra/temporal-errors';
import { TemporalService } from '../infra/temporal.service';
import { type DecisionDto } from './approvals.dto';

/** Decisions wait for the workflow's validator and handler; a worker that does not answer in this time is "unavailable". */
const DECIDE_TIMEOUT_MS = 10_000;

const REFUSAL_CODES: ReadonlySet<string> = new Set([
  ApiErrorCode.NOT_AN_OPERATOR,
  ApiErrorCode.SAME_OPERATOR,
  ApiErrorCode.TYPED_NAME_REQUIRED,
  ApiErrorCode.NOT_PENDING,
  ApiErrorCode.EXPIRED,
  ApiErrorCode.FINGERPRINT_MISMATCH,
  ApiErrorCode.APPROVAL_MISMATCH,
  ApiErrorCode.FINGERPRINT_REQUIRED,
  ApiErrorCode.MALFORMED_DECISION,
  ApiErrorCode.NOT_VOUCHED,
]);

@Injectable()
export class ApprovalsService {
  constructor(
    private readonly approvals: ApprovalsRepository,
    private readonly temporal: TemporalService,
    private readonly signer: DecisionSigner,
  ) {}

  async list(state?: 'pending' | 'decided'): Promise<{ items: ApprovalView[] }> {
    return { items: await this.approvals.list(state ? { state } : {}) };
  }

  /**
   * An operator's decision on approval `id`, carried to the workflow as the `decide` update. The
   * workflow's validator is the single judge (which request, who, whether still pending,
   * fingerprint, TTL); the API only vouches for the identity, from the verified token.
   */
  async decide(id: string, verdict: Verdict, body: DecisionDto, user: AuthUser): Promise<ApprovalSnapshot> {
    const approval = await this.approvals.get(id);
    if (!approval) throw new ApiError('APPROVAL_NOT_FOUND', `no approval ${id}`);
    // The decision names the approval in the path: the workflow refuses it for any other request.
    const decision = {
      approvalId: id,
      by: user.username,
      byIsOperator: true,
      verdict,
      fingerprint: body.fingerprint,
      ...(body.comment ? { comment: body.comment } : {}),
      ...(body.typedName !== undefined ? { typedName: body.typedName } : {}),
    };
    // Signed with the key only the API holds: the workflow takes no decision without it.
    const args: DecisionArgs = { ...decision, voucher: this.signer.sign('decision', decisionFields(decision)) };
    try {
      return await this.temporal.call(DECIDE_TIMEOUT_MS, (client) =>
        client.workflow.getHandle(approval.workflowId).executeUpdate(decideUpdate, { args: [args] }),
      );
    } catch (err) {
      throw this.refusal(err, approval);
    }
  }

  private refusal(err: unknown, approval: ApprovalView): unknown {
    const details = { approvalId: approval.id, workflowId: approval.workflowId };
    if (err instanceof Error && err.name === 'WorkflowUpdateFailedError') {
      // The validator's ApplicationFailure: its `type` is the policies' RefusalCode (compared by value, not class).
      const cause = (err as { cause?: { type?: unknown; message?: unknown } }).cause;
      const type = typeof cause?.type === 'string' ? cause.type : '';
      const message = typeof cause?.message === 'string' ? cause.message : 'the decision was refused';
      return new ApiError(REFUSAL_CODES.has(type) ? (type as ApiErrorCode) : 'DECISION_REFUSED', message, {
        ...details,
        refusal: type || undefined,
      });
    }
    if (
      isWorkflowNotFound(err) ||
      (err instanceof Error && /already completed|workflow.*(closed|completed)/i.test(err.message))
    ) {
      return new ApiError('WORKFLOW_CLOSED', `the request is no longer open (last known state: ${approval.state})`, {
        ...details,
        state: approval.state,
      });
    }
    if (isTemporalUnavailable(err)) {
      return new ApiError(
        'TEMPORAL_UNAVAILABLE',
        'the workflow did not answer; the decision was not recorded',
        details,
        { cause: err },
      );
    }
    return err;
  }
}
