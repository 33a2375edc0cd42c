/**
 * Frame <-> media time, exactly, at any rational frame rate (24, 25, 30000/1001, 24000/1001).
 *
 * Conventions shared with the media engine's review clips:
 * - frame numbers are the plate's (often 1001-based); the clip's first picture is `first`.
 * - to show a frame we seek to the MIDDLE of its display interval: t = (frame - first + 0.5) * den / num,
 *   so rounding in the decoder can never land on a neighbour.
 * - the frame on screen is floor(mediaTime * num / den) + first, where mediaTime is the presentation time
 *   the compositor reports (requestVideoFrameCallback). Presentation times are frame starts rounded to
 *   microseconds, so a value a hair below an exact boundary is snapped up instead of floored down.
 */

export interface Rate {
  num: number;
  den: number;
}

/** Fraction of a frame under which a time counts as exactly on a frame boundary (µs rounding is ~1e-5). */
const BOUNDARY_SNAP = 1e-3;

export function makeRate(num: number, den = 1): Rate {
  if (!Number.isInteger(num) || !Number.isInteger(den) || num <= 0 || den <= 0) {
    throw new Error(`frame rate ${num}/${den} is not a ratio of positive integers (e.g. 24000/1001)`);
  }
  const g = gcd(num, den);
  return { num: num / g, den: den / g };
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function rateToFloat(rate: Rate): number {
  return rate.num / rate.den;
}

/** "23.976" for 24000/1001, "25" for 25/1: how review tools label rates. */
export function rateLabel(rate: Rate): string {
  const fps = rate.num / rate.den;
  return Number.isInteger(fps) ? String(fps) : (Math.round(fps * 1000) / 1000).toFixed(3);
}

/** Media time (seconds) of the middle of `frame`: where to seek so the decoder shows exactly that frame. */
export function frameToTime(frame: number, first: number, rate: Rate): number {
  return ((frame - first + 0.5) * rate.den) / rate.num;
}

/** Media time (seconds) at which `frame` starts. */
export function frameStartTime(frame: number, first: number, rate: Rate): number {
  return ((frame - first) * rate.den) / rate.num;
}

/** The frame whose display interval contains media time `t` (a presentation time or currentTime). */
export function timeToFrame(t: number, first: number, rate: Rate): number {
  const exact = (t * rate.num) / rate.den;
  const nearest = Math.round(exact);
  const index = Math.abs(exact - nearest) < BOUNDARY_SNAP ? nearest : Math.floor(exact);
  return index + first;
}

export interface FrameRange {
  start: number;
  end: number; // inclusive
}

export function clampFrame(frame: number, range: FrameRange): number {
  return Math.min(range.end, Math.max(range.start, Math.round(frame)));
}

export function rangeLength(range: FrameRange): number {
  return range.end - range.start + 1;
}
