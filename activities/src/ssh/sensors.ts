/**
 * Node temperatures from lm-sensors' `sensors -j`. The Proxmox API has none. The JSON maps chip
 * names (`coretemp-isa-0000`, `k10temp-pci-00c3`, `acpitz-acpi-0`, `nvme-pci-0100`, ...) to
 * features (`Package id 0`, `Core 4`, `Tctl`, `Tccd1`, ...), each holding subfeatures such as
 * `temp1_input`. Only the CPU chips count: Intel's coretemp and AMD's k10temp.
 */
import { isSshError } from './ssh.errors';
import { type NodeTemperature, type SshRunner } from './types';

/** Anything outside this is a sensor glitch (some boards report -273 or 255), not a reading. */
const MIN_C = -40;
const MAX_C = 150;

type Features = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `tempN_input` of one feature, if it holds a plausible reading. */
function inputOf(feature: unknown): number | undefined {
  if (!isRecord(feature)) return undefined;
  for (const [key, value] of Object.entries(feature)) {
    if (/^temp\d+_input$/.test(key) && typeof value === 'number' && Number.isFinite(value))
      return value >= MIN_C && value <= MAX_C ? value : undefined;
  }
  return undefined;
}

function readings(features: Features, name: RegExp): number[] {
  return Object.entries(features)
    .filter(([feature]) => name.test(feature))
    .map(([, value]) => inputOf(value))
    .filter((value): value is number => value !== undefined);
}

const max = (values: readonly number[]): number | undefined => (values.length ? Math.max(...values) : undefined);

/**
 * CPU package temperature (the hottest package on multi-socket boards; AMD's Tdie, else Tctl)
 * and the hottest core (Intel `Core N`, AMD `TccdN`). A CPU chip without per-core sensors gives
 * its package value for both. `null` when there is no CPU sensor or the text is not sensors JSON.
 */
export function parseSensorsJson(text: string): NodeTemperature | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(parsed)) return null;
  const packages: number[] = [];
  const cores: number[] = [];
  for (const [chip, features] of Object.entries(parsed)) {
    if (!isRecord(features)) continue;
    if (chip.startsWith('coretemp-')) {
      packages.push(...readings(features, /^Package id \d+$/));
      cores.push(...readings(features, /^Core \d+$/));
    } else if (chip.startsWith('k10temp-')) {
      // Tctl carries a fan-control offset on some Ryzen parts; Tdie, where present, is the real die.
      const die = readings(features, /^Tdie$/);
      packages.push(...(die.length ? die : readings(features, /^Tctl$/)));
      cores.push(...readings(features, /^Tccd\d+$/));
    }
  }
  const packageC = max(packages) ?? max(cores);
  if (packageC === undefined) return null;
  return { packageC, maxCoreC: max(cores) ?? packageC };
}

export interface ReadTemperaturesOptions {
  /** Per node; default 10 s. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** A node that could not be read (unreachable, refused, ...) is null in the result; this says why. */
  readonly onError?: (node: string, err: unknown) => void;
}

/**
 * `sensors -j` on every node at once. A node without lm-sensors (exit 127, command not found), an
 * unparsable answer or a failed call is `null`, so one bad node never hides the others.
 */
export async function readNodeTemperatures(
  runner: SshRunner,
  nodes: readonly string[],
  options: ReadTemperaturesOptions = {},
): Promise<Record<string, NodeTemperature | null>> {
  const entries = await Promise.all(
    nodes.map(async (node): Promise<[string, NodeTemperature | null]> => {
      try {
        const result = await runner.exec(node, 'sensors -j', {
          timeoutMs: options.timeoutMs ?? 10_000,
          ...(options.signal ? { signal: options.signal } : {}),
        });
        // sensors exits 1 when one chip fails to read but still prints the others.
        if (result.exitCode === 127) return [node, null];
        return [node, parseSensorsJson(result.stdout)];
      } catch (err) {
        if (options.signal?.aborted && isSshError(err) && err.code === 'CANCELLED') throw err;
        options.onError?.(node, err);
        return [node, null];
      }
    }),
  );
  return Object.fromEntries(entries);
}
