import { ValueError } from '@tapegrad/tensor';

/**
 * Whether operations are recorded on the tape. A single module-level flag (not a tape list): turning it off
 * inside {@link noGrad} makes every op compute values only.
 */
let gradEnabled = true;
let anomalyEnabled = false;

/** True when ops on variables that require a gradient are being recorded. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs `fn` (synchronously) with recording switched off: nothing it computes gets a tape entry. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` (synchronously) with recording switched on, e.g. inside a {@link noGrad} block. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** Runs `fn` with recording set to `enabled`, restoring the previous mode afterwards even if `fn` throws. */
export function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  let result: T;
  try {
    result = fn();
  } finally {
    gradEnabled = previous;
  }
  // The mode is a synchronous scope: the part of an async fn after its first await would run in the
  // caller's mode and silently record (or not). Refuse instead of computing the wrong thing.
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new ValueError(
      `${enabled ? 'enableGrad' : 'noGrad'}: fn returned a Promise; grad mode only covers synchronous code — ` +
        'await the async work outside and wrap each synchronous step instead',
    );
  }
  return result;
}

/** True inside {@link detectAnomaly}. */
export function isAnomalyEnabled(): boolean {
  return anomalyEnabled;
}

/**
 * Runs `fn` with anomaly detection: the first op whose forward result or backward gradient contains NaN or
 * ±Infinity throws an error naming the op and its input shapes.
 */
export function detectAnomaly<T>(fn: () => T): T {
  const previous = anomalyEnabled;
  anomalyEnabled = true;
  try {
    return fn();
  } finally {
    anomalyEnabled = previous;
  }
}

let backwardOf: string | null = null;

/** The op whose backward is running (for anomaly messages), or null. */
export function currentBackward(): string | null {
  return backwardOf;
}

/** Runs `fn` as the backward of op `name` (anomaly messages then say so). */
export function inBackwardOf<T>(name: string, fn: () => T): T {
  const previous = backwardOf;
  backwardOf = name;
  try {
    return fn();
  } finally {
    backwardOf = previous;
  }
}
