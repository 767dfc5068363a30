import { type GuestActionAccepted } from '@jarvis/api';
import { type ApprovalView } from '@jarvis/db';
import { type ApprovalSnapshot, type VmActionResult } from '@jarvis/workflows/api';
import { OPERATOR, SECOND } from '../support/stack';
import { expectEnvelope, pendingApproval, startApi, workflowResult, type ApiHarness } from './api-harness';

/**
 * RED actions over HTTP: with more than one operator two distinct ones must approve; a lone
 * operator confirms by typing the resource's name. Refusals are 403s that change nothing.
 */
let api: ApiHarness;
let operator: string;
let second: string;

beforeAll(async () => {
  api = await startApi({ worker: true });
  operator = await api.login(OPERATOR.username, OPERATOR.password);
  second = await api.login(SECOND.username, SECOND.password);
}, 60_000);
afterAll(() => api.close());

const as = (token: string) => ({
  post: <T>(path: string, body: unknown = {}) => api.call<T>('POST', path, { token, body }),
});
const pendingFor = (workflowId: string): Promise<ApprovalView> => pendingApproval(api, operator, workflowId);
const resultOf = (workflowId: string): Promise<VmActionResult> => workflowResult(api, workflowId);

describe('RED approvals', () => {
  it('asks two distinct operators for a RED action (an HA-managed guest): the same one twice is a 403', async () => {
    const res = await as(operator).post<GuestActionAccepted>('/api/guests/pve/102/actions', { action: 'stop' });
    expect(res.json).toMatchObject({ tier: 'RED' });
    const approval = await pendingFor(res.json.workflowId);
    expect(approval).toMatchObject({ tier: 'RED', twoPerson: true, resourceName: 'db-01' });
    const path = `/api/approvals/${approval.id}/approve`;
    const shown = { fingerprint: approval.fingerprint };
    expect((await as(operator).post<ApprovalSnapshot>(path, shown)).json).toMatchObject({ status: 'pending' });
    expectEnvelope(await as(operator).post(path, shown), 403, 'SAME_OPERATOR');
    expectEnvelope(await as(second).post(path, {}), 400, 'BAD_REQUEST');
    expect((await as(second).post<ApprovalSnapshot>(path, shown)).json).toMatchObject({ status: 'approved' });
    expect(await resultOf(res.json.workflowId)).toMatchObject({ outcome: 'done', tier: 'RED' });
  });

  it('asks a lone operator to type the name for a RED action', async () => {
    const lone = await startApi({ stack: api.stack, env: { JARVIS_USERS: '[]' } });
    try {
      const token = await lone.login(OPERATOR.username, OPERATOR.password);
      const res = await lone.call<GuestActionAccepted>('POST', '/api/guests/pve/102/actions', {
        token,
        body: { action: 'start' },
      });
      expect(res.json).toMatchObject({ tier: 'RED' });
      const approval = await pendingApproval(lone, token, res.json.workflowId);
      expect(approval).toMatchObject({ twoPerson: false });
      const path = `/api/approvals/${approval.id}/approve`;
      const fingerprint = approval.fingerprint;
      expectEnvelope(await lone.call('POST', path, { token, body: { fingerprint } }), 403, 'TYPED_NAME_REQUIRED');
      expectEnvelope(
        await lone.call('POST', path, { token, body: { fingerprint, typedName: 'db-02' } }),
        403,
        'TYPED_NAME_REQUIRED',
      );
      const approved = await lone.call<ApprovalSnapshot>('POST', path, {
        token,
        body: { fingerprint, typedName: 'db-01' },
      });
      expect(approved.json).toMatchObject({ status: 'approved' });
      expect(await resultOf(res.json.workflowId)).toMatchObject({ outcome: 'done' });
    } finally {
      await lone.close();
    }
  });
});
