import { type PowerAction } from '../catalog';
import { EXAMPLE_CLUSTER, unresolved, type IntentExample, type IntentModule } from './intent';
import { findGuest, findNode } from './text';

const VERBS: readonly [RegExp, PowerAction | 'wake'][] = [
  [/\b(?:shut\s*down|shutdown|power\s*down)\b/, 'shutdown'],
  [/\b(?:restart|reboot|bounce)\b/, 'reboot'],
  [/\b(?:stop|kill|power\s*off|halt)\b/, 'stop'],
  [/\b(?:resume|unpause|continue)\b/, 'resume'],
  [/\b(?:suspend|pause|freeze)\b/, 'suspend'],
  [/\b(?:wake|wol)\b/, 'wake'],
  [/\b(?:start|boot|power\s*on|launch|bring\s+up)\b/, 'start'],
];

/** An example power action on a guest of the example cluster. */
function guestAction(say: string, action: PowerAction, vmid: number): IntentExample {
  const guest = EXAMPLE_CLUSTER.guests.find((g) => g.vmid === vmid)!;
  return {
    say,
    kind: 'action',
    calls: [{ tool: `guest.${action}`, args: { node: guest.node, vmid, kind: guest.type } }],
  };
}

/** "start|stop|restart|shutdown <vmid or name>", "reboot <node>", "wake <node>": a guest or node power action. */
export const powerActionIntent: IntentModule = {
  id: 'power-action',
  help: '"start|stop|restart|shutdown <vmid or name>"',
  match(text, cluster) {
    const verb = VERBS.find(([re]) => re.test(text))?.[1];
    if (!verb) return undefined;
    const guest = findGuest(text, cluster);
    if (guest === 'ambiguous') return unresolved('More than one guest has that name; say its VMID.');
    if (verb === 'wake') {
      const node = findNode(text, cluster);
      return node
        ? { kind: 'action', intent: 'action', calls: [{ tool: 'node.wake', args: { node } }] }
        : unresolved('Which node shall I wake?');
    }
    if (guest)
      return {
        kind: 'action',
        intent: 'action',
        calls: [{ tool: `guest.${verb}`, args: { node: guest.node, vmid: guest.vmid, kind: guest.type } }],
      };
    const node = findNode(text, cluster);
    if (node && (verb === 'reboot' || verb === 'shutdown'))
      return { kind: 'action', intent: 'action', calls: [{ tool: `node.${verb}`, args: { node } }] };
    if (/\d{3,9}/.test(text)) return unresolved('I find no guest with that VMID.');
    if (node || /\b(?:vm|ct|guest|container)\b/.test(text))
      return unresolved(`Which guest shall I ${verb}? Give its VMID or name.`);
    // A verb alone ("restart the service?") is not a power action: later intents may still apply.
    return undefined;
  },
  examples: [
    guestAction('Start VM 101', 'start', 101),
    guestAction('please stop web-01', 'stop', 100),
    guestAction('restart 107', 'reboot', 107),
    guestAction('shut down dns', 'shutdown', 101),
    guestAction('resume ct 101', 'resume', 101),
    guestAction('STOP  VM\u200b100', 'stop', 100),
    { say: 'Reboot agent1', kind: 'action', calls: [{ tool: 'node.reboot', args: { node: 'agent1' } }] },
    { say: 'wake agent', kind: 'action', calls: [{ tool: 'node.wake', args: { node: 'agent' } }] },
    { say: 'start vm 999', kind: 'unresolved', hint: /no guest/i },
    { say: 'stop the vm', kind: 'unresolved', hint: /which guest/i },
    { say: 'wake up', kind: 'unresolved', hint: /which node/i },
  ],
};
