/**
 * `sensors -j` output as lm-sensors 3.6 prints it on real boards (values varied, layout kept):
 * chips keyed `<driver>-<bus>-<address>`, an `Adapter` string, then features holding subfeatures.
 */
import { type NodeTemperature } from '@jarvis/activities';

export interface SensorsFixture {
  readonly name: string;
  readonly json: string;
  readonly expected: NodeTemperature | null;
}

/** Intel desktop (i5/i7, 4 cores) with the ACPI zone and an NVMe drive, both to be ignored. */
export function intelSensorsJson(packageC: number, cores: readonly number[]): string {
  const coreFeatures = Object.fromEntries(
    cores.map((c, i) => [
      `Core ${i}`,
      {
        [`temp${i + 2}_input`]: c,
        [`temp${i + 2}_max`]: 80,
        [`temp${i + 2}_crit`]: 100,
        [`temp${i + 2}_crit_alarm`]: 0,
      },
    ]),
  );
  return JSON.stringify(
    {
      'coretemp-isa-0000': {
        Adapter: 'ISA adapter',
        'Package id 0': { temp1_input: packageC, temp1_max: 80, temp1_crit: 100, temp1_crit_alarm: 0 },
        ...coreFeatures,
      },
      'acpitz-acpi-0': { Adapter: 'ACPI interface', temp1: { temp1_input: 97.8, temp1_crit: 119 } },
      'nvme-pci-0100': {
        Adapter: 'PCI adapter',
        Composite: { temp1_input: 99.85, temp1_max: 81.85, temp1_min: -273.15, temp1_crit: 84.85, temp1_alarm: 0 },
        'Sensor 1': { temp2_input: 38.85, temp2_max: 65261.85, temp2_min: -273.15 },
      },
    },
    null,
    3,
  );
}

/** AMD Ryzen (Zen 2/3): k10temp with Tctl and one Tccd per chiplet. */
export function amdSensorsJson(tctl: number, ccds: readonly number[]): string {
  const ccdFeatures = Object.fromEntries(ccds.map((c, i) => [`Tccd${i + 1}`, { [`temp${i + 3}_input`]: c }]));
  return JSON.stringify(
    {
      'amdgpu-pci-0b00': { Adapter: 'PCI adapter', edge: { temp1_input: 88, temp1_crit: 100 } },
      'k10temp-pci-00c3': { Adapter: 'PCI adapter', Tctl: { temp1_input: tctl }, ...ccdFeatures },
      'nvme-pci-0400': { Adapter: 'PCI adapter', Composite: { temp1_input: 41.85, temp1_max: 84.85 } },
    },
    null,
    3,
  );
}

export const SENSORS_FIXTURES: readonly SensorsFixture[] = [
  {
    name: 'Intel coretemp: package and the hottest core; acpitz and nvme ignored',
    json: intelSensorsJson(51, [47, 53, 49, 45]),
    expected: { packageC: 51, maxCoreC: 53 },
  },
  {
    name: 'Intel dual socket: the hotter package',
    json: JSON.stringify({
      'coretemp-isa-0000': {
        Adapter: 'ISA adapter',
        'Package id 0': { temp1_input: 44 },
        'Core 0': { temp2_input: 42 },
      },
      'coretemp-isa-0001': {
        Adapter: 'ISA adapter',
        'Package id 1': { temp1_input: 58 },
        'Core 0': { temp2_input: 57 },
      },
    }),
    expected: { packageC: 58, maxCoreC: 57 },
  },
  {
    name: 'AMD k10temp: Tctl as package, hottest Tccd; amdgpu and nvme ignored',
    json: amdSensorsJson(62.75, [55.5, 60.25]),
    expected: { packageC: 62.75, maxCoreC: 60.25 },
  },
  {
    name: 'AMD Threadripper (Zen 1): Tdie, not the offset Tctl',
    json: JSON.stringify({
      'k10temp-pci-00c3': {
        Adapter: 'PCI adapter',
        Tdie: { temp2_input: 41.5, temp2_max: 70 },
        Tctl: { temp1_input: 68.5 },
      },
    }),
    expected: { packageC: 41.5, maxCoreC: 41.5 },
  },
  {
    name: 'AMD APU without Tccd: package for both',
    json: JSON.stringify({ 'k10temp-pci-00c3': { Adapter: 'PCI adapter', Tctl: { temp1_input: 49.125 } } }),
    expected: { packageC: 49.125, maxCoreC: 49.125 },
  },
  {
    name: 'no CPU chip (a VM or an unsupported board): acpitz and nvme only',
    json: JSON.stringify({
      'acpitz-acpi-0': { Adapter: 'ACPI interface', temp1: { temp1_input: 27.8 } },
      'nvme-pci-0100': { Adapter: 'PCI adapter', Composite: { temp1_input: 38.85 } },
    }),
    expected: null,
  },
  {
    name: 'a glitching package sensor (-273) falls back to the cores',
    json: JSON.stringify({
      'coretemp-isa-0000': {
        Adapter: 'ISA adapter',
        'Package id 0': { temp1_input: -273.15 },
        'Core 0': { temp2_input: 40 },
        'Core 1': { temp3_input: 43 },
      },
    }),
    expected: { packageC: 43, maxCoreC: 43 },
  },
  { name: 'empty object', json: '{}', expected: null },
  { name: 'garbage', json: 'No sensors found!\nMake sure you loaded all the kernel drivers you need.', expected: null },
  { name: 'truncated JSON', json: '{"coretemp-isa-0000":{"Package id 0":{"temp1_input": 4', expected: null },
  { name: 'a JSON array', json: '[1,2,3]', expected: null },
  {
    name: 'wrong value types',
    json: JSON.stringify({ 'coretemp-isa-0000': { 'Package id 0': { temp1_input: '45' }, 'Core 0': null } }),
    expected: null,
  },
];
