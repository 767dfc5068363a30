/**
 * The escalation mail: what happened, what Jarvis tried, and what it needs from the operator.
 * Templated and pure; `narrate` is the hook for an LLM narration once an LLM activity exists
 * (the template is then its fallback and its fact sheet).
 */

/** One failed attempt an escalation counted: when, which run made it, and what failed. */
export interface CountedFailure {
  /** ISO time the attempt started. */
  readonly at: string;
  readonly workflowId: string;
  readonly runId?: string;
  readonly attemptId?: string;
  readonly detail?: string;
}

export interface EscalationInput {
  readonly incidentKey: string;
  readonly incidentClass: string;
  readonly severity: string;
  readonly subject: {
    readonly node: string;
    readonly vmid?: number;
    readonly storage?: string;
    readonly service?: string;
  };
  readonly evidence: Record<string, unknown>;
  readonly detectedAt: string;
  readonly reason: string;
  readonly attempts: readonly {
    readonly n: number;
    readonly at: string;
    readonly outcome: string;
    readonly detail?: string;
  }[];
  /**
   * The failed attempts the guardian counted when it stopped this incident, from this run and
   * earlier ones: when, which run, and what failed.
   */
  readonly counted?: readonly CountedFailure[];
  readonly workflowId: string;
}

export interface EscalationMessage {
  readonly subject: string;
  readonly text: string;
}

const describeSubject = (s: EscalationInput['subject']): string =>
  [
    s.vmid !== undefined ? `guest ${s.vmid}` : undefined,
    s.service ? `service ${s.service}` : undefined,
    s.storage ? `storage ${s.storage}` : undefined,
    s.node === '*' ? 'the cluster' : `node ${s.node}`,
  ]
    .filter(Boolean)
    .join(' on ');

/** Single-line, bounded: evidence values are untrusted text from the cluster. */
const inert = (value: unknown): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // eslint-disable-next-line no-control-regex
  return (text ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
};

export function renderEscalation(e: EscalationInput): EscalationMessage {
  const what = describeSubject(e.subject);
  const lines = [
    `Jarvis stopped remediating ${what} and needs you.`,
    '',
    `Incident:   ${e.incidentClass} (${e.severity}), key ${e.incidentKey}`,
    `Detected:   ${e.detectedAt}`,
    `Why I stop: ${inert(e.reason)}`,
    '',
    'Evidence:',
    ...Object.entries(e.evidence).map(([k, v]) => `  - ${inert(k)}: ${inert(v)}`),
    '',
    `Attempts (${e.attempts.length}):`,
    ...(e.attempts.length === 0
      ? ['  (none)']
      : e.attempts.map((a) => `  ${a.n}. ${a.at} ${a.outcome}${a.detail ? `: ${inert(a.detail)}` : ''}`)),
    ...(e.counted && e.counted.length > 0
      ? [
          '',
          `Failed attempts counted (${e.counted.length}), as they make Jarvis stop; reset them in the dashboard's guardrails view:`,
          ...e.counted.map(
            (c, i) =>
              `  ${i + 1}. ${inert(c.at)} ${inert(c.workflowId)}${c.runId ? ` run ${inert(c.runId)}` : ''}: ${inert(c.detail ?? 'failed')}`,
          ),
        ]
      : []),
    '',
    'Diagnosis:',
    `  ${diagnosis(e)}`,
    '',
    `The full timeline is in the dashboard's audit view under ${e.workflowId}.`,
    'No further automatic action will be taken on this incident until you act.',
  ];
  return { subject: `[Jarvis] escalation: ${e.incidentClass} on ${what}`, text: lines.join('\n') };
}

function diagnosis(e: EscalationInput): string {
  const failed = e.attempts.filter((a) => a.outcome === 'failed').length;
  switch (e.incidentClass) {
    case 'vm-crashed':
      return failed > 0
        ? `The guest came up and fell over again ${failed} time(s): it is flapping. Look at its console and logs (OOM, kernel panic, a failing service at boot) before starting it again.`
        : 'The guest could not be started. Check its configuration, locks and the node it is on.';
    case 'node-down':
      return 'The node did not come back after wake-on-LAN. Check its power, its network link and that WoL is enabled in its firmware.';
    case 'service-down':
      return 'The service did not stay up after a restart (or could not be restarted). Check `journalctl -u` on the node.';
    default:
      return 'Automatic remediation is not possible here; please have a look.';
  }
}
