import {
  parseSensorsJson,
  readNodeTemperatures,
  SshError,
  type SshExecResult,
  type SshRunner,
} from '@jarvis/activities';
import { SENSORS_FIXTURES } from '../support/sensors-fixtures';

describe('parseSensorsJson on real `sensors -j` layouts', () => {
  test.each(SENSORS_FIXTURES.map((f) => [f.name, f] as const))('%s', (_name, fixture) => {
    expect(parseSensorsJson(fixture.json)).toEqual(fixture.expected);
  });
});

describe('readNodeTemperatures', () => {
  const result = (node: string, exitCode: number, stdout: string, stderr = ''): SshExecResult => ({
    node,
    argv: ['sensors', '-j'],
    exitCode,
    stdout,
    stderr,
    stdoutTruncated: false,
    stderrTruncated: false,
    durationMs: 1,
  });

  test('127 and a failed call are null; the others parse; every call is `sensors -j`', async () => {
    const commands: string[] = [];
    const runner: SshRunner = {
      nodes: ['a', 'b', 'c'],
      exec: (node, command) => {
        commands.push(`${node}:${command}`);
        if (node === 'a') return Promise.resolve(result(node, 0, SENSORS_FIXTURES[0]?.json ?? ''));
        if (node === 'b') return Promise.resolve(result(node, 127, '', 'bash: sensors: command not found'));
        return Promise.reject(new SshError('UNREACHABLE', node, 'down'));
      },
      shell: () => Promise.reject(new Error('unused')),
      close: () => Promise.resolve(),
    };
    const failed: string[] = [];
    const temps = await readNodeTemperatures(runner, ['a', 'b', 'c'], { onError: (node) => failed.push(node) });
    expect(temps).toEqual({ a: SENSORS_FIXTURES[0]?.expected, b: null, c: null });
    expect(failed).toEqual(['c']);
    expect(commands.sort()).toEqual(['a:sensors -j', 'b:sensors -j', 'c:sensors -j']);
  });
});
