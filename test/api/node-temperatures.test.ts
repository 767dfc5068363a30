import {
  KEEP_LAST_POLLS,
  mergeReadings,
  NO_SENSOR_EVERY,
  nodesDue,
  temperatureOf,
  type TemperatureReading,
} from '../../apps/api/src/cluster/node-temperatures.service';
import { type NodeTemperature } from '@jarvis/activities';

const POLL = 30_000;
const hot = { packageC: 54, maxCoreC: 61 };

describe('temperature readings', () => {
  it('records values, missing sensors and failures per node, independently', () => {
    const r = mergeReadings(
      new Map(),
      new Map<string, NodeTemperature | null | Error>([
        ['pve', hot],
        ['home', null],
        ['agent', new Error('UNREACHABLE')],
      ]),
      1000,
    );
    expect(r.get('pve')).toEqual({ kind: 'ok', temperature: hot, at: 1000 });
    expect(r.get('home')).toEqual({ kind: 'no-sensor', at: 1000 });
    expect(r.get('agent')).toEqual({ kind: 'failed', at: 1000 });
    expect(temperatureOf(r.get('pve'), 1000, POLL)).toEqual(hot);
    expect(temperatureOf(r.get('home'), 1000, POLL)).toBeNull();
    expect(temperatureOf(r.get('agent'), 1000, POLL)).toBeNull();
    expect(temperatureOf(undefined, 1000, POLL)).toBeNull();
  });

  it('keeps the last good value through a few failed reads, then drops it', () => {
    let r: Map<string, TemperatureReading> = mergeReadings(new Map(), new Map([['pve', hot]]), 0);
    for (let i = 1; i <= KEEP_LAST_POLLS; i++) {
      r = mergeReadings(r, new Map([['pve', new Error('timeout')]]), i * POLL);
      expect(temperatureOf(r.get('pve'), i * POLL, POLL)).toEqual(hot);
    }
    r = mergeReadings(r, new Map([['pve', new Error('timeout')]]), (KEEP_LAST_POLLS + 1) * POLL);
    expect(temperatureOf(r.get('pve'), (KEEP_LAST_POLLS + 1) * POLL, POLL)).toBeNull();
    // A node the poll did not read keeps what it had.
    const untouched = mergeReadings(r, new Map([['home', hot]]), 0);
    expect(untouched.get('pve')).toEqual(r.get('pve'));
  });

  it('asks a node without sensors again only every NO_SENSOR_EVERY polls', () => {
    let r = mergeReadings(new Map(), new Map([['home', null]]), 0);
    const online = ['pve', 'home'];
    expect(nodesDue(online, r, POLL, POLL)).toEqual(['pve']);
    const asked: number[] = [];
    for (let i = 1; i <= 2 * NO_SENSOR_EVERY; i++) {
      const due = nodesDue(online, r, i * POLL, POLL);
      if (!due.includes('home')) continue;
      asked.push(i);
      r = mergeReadings(r, new Map([['home', null]]), i * POLL);
    }
    expect(asked).toEqual([NO_SENSOR_EVERY, 2 * NO_SENSOR_EVERY]);
    // A failed node is asked every poll: a failure is not "no sensor".
    const failed = mergeReadings(new Map(), new Map([['pve', new Error('x')]]), 0);
    expect(nodesDue(online, failed, POLL, POLL)).toEqual(['pve', 'home']);
  });
});
