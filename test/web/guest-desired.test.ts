import { desiredMark } from '../../apps/web/src/lib/guest-desired';

describe('desiredMark: the dashboard marks a guest whose desired state differs from its status', () => {
  it.each([
    ['running', 'stopped', '→ stopped'],
    ['stopped', 'running', '→ running'],
    ['running', 'running', null],
    ['stopped', 'stopped', null],
    ['running', undefined, null],
    ['paused', 'stopped', null],
    ['unknown', 'running', null],
  ] as const)('%s, desired %s → %s', (status, desired, text) => {
    const mark = desiredMark({ status, ...(desired ? { desired } : {}) });
    expect(mark?.text ?? null).toBe(text);
    if (mark) expect(mark.title.length).toBeGreaterThan(10);
  });
});
