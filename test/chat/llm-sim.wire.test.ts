import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { startLlmSim, type RunningLlmSim } from '@jarvis/llm-sim';

/** The fake servers speak the real wire: the real Anthropic SDK and a plain HTTP client talk to them unmodified. */
describe('llm-sim', () => {
  let sim: RunningLlmSim;
  let client: Anthropic;
  beforeAll(async () => {
    sim = await startLlmSim({ apiKey: 'k-test-123' });
    client = new Anthropic({ apiKey: 'k-test-123', baseURL: sim.url, maxRetries: 0 });
  });
  afterAll(() => sim.close());
  beforeEach(() => sim.reset());

  it('streams the Anthropic event sequence, tool input as input_json_delta pieces, and usage', async () => {
    sim.script('anthropic', [
      { kind: 'reply', text: 'Right away, sir. ', tools: [{ name: 'guest_start', input: { node: 'pve', vmid: 107 } }] },
    ]);
    const stream = await client.messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'start 107' }],
      stream: true,
    });
    const types: string[] = [];
    let json = '';
    for await (const e of stream) {
      types.push(e.type === 'content_block_delta' ? `delta:${e.delta.type}` : e.type);
      if (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta') json += e.delta.partial_json;
      if (e.type === 'content_block_start' && e.content_block.type === 'tool_use')
        expect(e.content_block.id).toMatch(/^toolu_/);
      if (e.type === 'message_delta') {
        expect(e.delta.stop_reason).toBe('tool_use');
        expect(e.usage.output_tokens).toBeGreaterThan(0);
      }
    }
    // The SDK does not surface `ping`; the raw wire test below checks it is there.
    expect(types.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'delta:text_delta']);
    expect(types.filter((t) => t === 'delta:input_json_delta').length).toBeGreaterThan(1);
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(JSON.parse(json)).toEqual({ node: 'pve', vmid: 107 });
  });

  it('sends the raw SSE events in the real order, ping included', async () => {
    sim.script('anthropic', [{ kind: 'reply', text: 'Hello there.' }]);
    const res = await request(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k-test-123', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events = [...(await res.body.text()).matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
  });

  it('answers non-streaming with content blocks and usage; by default, a tool call when asked about status', async () => {
    const msg = await client.messages.create({
      model: 'claude-sonnet-5-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'status please' }],
      tools: [{ name: 'cluster_status', description: 'x', input_schema: { type: 'object', properties: {} } }],
    });
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content.at(-1)).toMatchObject({ type: 'tool_use', name: 'cluster_status' });
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
  });

  it.each([
    [529, 'overloaded_error'],
    [429, 'rate_limit_error'],
    [400, 'invalid_request_error'],
  ])('returns %i with a real error body', async (status, type) => {
    sim.script('anthropic', [{ kind: 'error', status }]);
    const err = (await client.messages
      .create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as {
      status: number;
      error: { type: string; error: { type: string } };
      headers: Headers;
    };
    expect(err.status).toBe(status);
    expect(err.error).toMatchObject({ type: 'error', error: { type } });
    expect(err.headers.get('request-id')).toMatch(/^req_/);
    if (status === 429) expect(err.headers.get('retry-after')).toBe('1');
  });

  it('refuses a wrong key with 401 authentication_error', async () => {
    const bad = new Anthropic({ apiKey: 'wrong', baseURL: sim.url, maxRetries: 0 });
    await expect(
      bad.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('speaks the OpenAI-compatible API: streamed chunks, usage in the final chunk, [DONE], and /v1/models', async () => {
    sim.script('openai', [{ kind: 'reply', text: 'Good evening, sir.' }]);
    const res = await request(`${sim.openaiUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'local',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const frames = (await res.body.text())
      .split('\n\n')
      .filter(Boolean)
      .map((f) => f.replace(/^data: /, ''));
    expect(frames.at(-1)).toBe('[DONE]');
    const chunks = frames
      .slice(0, -1)
      .map((f) => JSON.parse(f) as { choices: { delta: { content?: string } }[]; usage?: { total_tokens: number } });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Good evening, sir.');
    expect(chunks.at(-1)!.usage!.total_tokens).toBeGreaterThan(0);
    const models = (await (await request(`${sim.openaiUrl}/models`)).body.json()) as { data: { id: string }[] };
    expect(models.data.length).toBeGreaterThan(0);
    expect(sim.requests().map((r) => r.api)).toEqual(['openai']);
  });
});
