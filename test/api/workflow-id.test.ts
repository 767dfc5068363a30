import { ulid, vmActionWorkflowId } from '../../apps/api/src/guests/workflow-id';
import { isEntityId } from '@jarvis/policies';

describe('workflow IDs', () => {
  it('are ULIDs: 26 Crockford characters that sort by time', () => {
    const a = ulid(Date.parse('2025-01-01T00:00:00Z'));
    const b = ulid(Date.parse('2025-01-01T00:00:00.001Z'));
    expect(a).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
    expect(a.slice(0, 10)).toBe('01JGFJJZ00');
    expect(new Set(Array.from({ length: 1000 }, () => ulid(0))).size).toBe(1000);
  });

  it('name the action and are valid entity IDs', () => {
    const id = vmActionWorkflowId('pve', 100, 'stop');
    expect(id).toMatch(/^vm-action:pve:100:stop:[0-9A-Z]{26}$/);
    expect(isEntityId(id)).toBe(true);
  });
});
