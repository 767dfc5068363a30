import { EXAMPLE_CLUSTER, INTENTS, normaliseCommand, parseIntent, type IntentModule } from '@jarvis/policies';

/**
 * Every intent module's own examples, through the whole parser (so the registry's order is
 * tested too): an intent added later brings its phrases and is checked here without a new test.
 */
describe.each(INTENTS.map((i) => [i.id, i] as const))('the %s intent', (_id, intent: IntentModule) => {
  it('has examples', () => {
    expect(intent.examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(intent.examples.map((e) => [e.say, e] as const))('%j', (say, example) => {
    const parsed = parseIntent(say, EXAMPLE_CLUSTER);
    expect(parsed.kind).toBe(example.kind);
    // The example is this module's: the module itself recognises it.
    expect(intent.match(normaliseCommand(say), EXAMPLE_CLUSTER)?.kind).toBe(example.kind);
    if (example.calls) expect(parsed.calls).toEqual(example.calls);
    if (example.hint) expect((parsed as { hint?: string }).hint).toMatch(example.hint);
  });
});

describe('the intent registry', () => {
  it('has unique ids', () => {
    const ids = INTENTS.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every example is decided by the module that declares it, not an earlier one', () => {
    for (const [index, intent] of INTENTS.entries())
      for (const example of intent.examples) {
        const earlier = INTENTS.slice(0, index).find((i) => i.match(normaliseCommand(example.say), EXAMPLE_CLUSTER));
        expect([example.say, earlier?.id]).toEqual([example.say, undefined]);
      }
  });

  it('the help line names what the intents understand', () => {
    const parsed = parseIntent('tell me a joke', EXAMPLE_CLUSTER);
    expect(parsed.kind).toBe('unknown');
    expect((parsed as { hint: string }).hint).toMatch(/"status.*"list guests"|"list guests".*"status/);
  });
});
