import { auditQuery, NO_AUDIT_FILTER } from '../../apps/web/src/stores/activity';
import { outcomeLevel } from '../../apps/web/src/lib/outcome-level';
import { stepView } from '../../apps/web/src/lib/timeline-view';

describe('outcome colours follow meaning', () => {
  it.each([
    ['done', 'lvl-ok'],
    ['verified', 'lvl-ok'],
    ['resolved', 'lvl-ok'],
    ['answered', 'lvl-ok'],
    ['cleared', 'lvl-ok'],
    ['COMPLETED', 'lvl-ok'],
    ['rejected', 'lvl-warn'],
    ['expired', 'lvl-warn'],
    ['blocked', 'lvl-warn'],
    ['not-found', 'lvl-warn'],
    ['failed', 'lvl-critical'],
    ['escalated', 'lvl-critical'],
    ['unresolved', 'lvl-critical'],
    ['TERMINATED', 'lvl-critical'],
    ['TIMED_OUT', 'lvl-critical'],
  ])('%s is drawn %s', (outcome, level) => {
    expect(outcomeLevel(outcome)).toBe(level);
  });

  it('never draws a successful chat answer like a refusal, nor an unknown word as an alarm', () => {
    expect(outcomeLevel('answered')).not.toBe(outcomeLevel('rejected'));
    expect(outcomeLevel('rejected')).not.toBe(outcomeLevel('failed'));
    expect(outcomeLevel('something-new')).toBe('muted');
    expect(outcomeLevel(undefined)).toBe('muted');
  });
});

describe('timeline steps say who did it once', () => {
  it('leaves out "by" when the title already names the actor', () => {
    const approved = stepView(
      { at: '2026-03-01T14:02:00.000Z', kind: 'approved', title: 'approved by operator', by: 'operator' },
      0,
    );
    expect(approved.by).toBeUndefined();
    const requested = stepView(
      { at: '2026-03-01T14:02:00.000Z', kind: 'requested', title: 'asked to stop guest 107 on pve', by: 'operator' },
      1,
    );
    expect(requested.by).toBe('operator');
  });
});

describe('the audit filter', () => {
  it('asks for chat turns only through the kind filter', () => {
    expect(new URLSearchParams(auditQuery(NO_AUDIT_FILTER)).has('kind')).toBe(false);
    expect(new URLSearchParams(auditQuery({ ...NO_AUDIT_FILTER, kind: 'chatTurnWorkflow' })).get('kind')).toBe(
      'chatTurnWorkflow',
    );
  });
});
