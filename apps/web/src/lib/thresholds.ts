export type Level = 'ok' | 'warn' | 'critical';

/** Storage fill: over 90 % warns, over 95 % is critical (the thresholds). */
export function storageLevel(usedFraction: number): Level {
  if (usedFraction > 0.95) return 'critical';
  if (usedFraction > 0.9) return 'warn';
  return 'ok';
}

/** CPU and memory bars: the same colours, at levels where a node starts to struggle. */
export function usageLevel(fraction: number): Level {
  if (fraction > 0.9) return 'critical';
  if (fraction > 0.75) return 'warn';
  return 'ok';
}

/** CPU package temperature: most desktop and server parts throttle from the high 80s. */
export function temperatureLevel(celsius: number): Level {
  if (celsius >= 85) return 'critical';
  if (celsius >= 75) return 'warn';
  return 'ok';
}
