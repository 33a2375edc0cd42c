/**
 * SMPTE timecode <-> plate frames, drop-frame included: the player's mirror of pipeline/media/timecode.py,
 * both checked against tests/fixtures/timecodes.json.
 *
 * A shot's frame `first` is labelled `start` ("" = 00:00:00:00). Timecode counts at the nominal rate (24 for
 * 24000/1001); drop-frame (";" before the frames) exists only at 30000/1001 and 60000/1001 and skips the
 * labels :00-:01 (:00-:03 at 59.94) at each minute not divisible by ten.
 */
import type { Rate } from "./frames";

const LABEL = /^(\d{1,2})[:.;](\d{2})[:.;](\d{2})([:;.])(\d{2})$/;

export function timecodeBase(rate: Rate): number {
  return Math.max(1, Math.round(rate.num / rate.den));
}

function droppedPerMinute(rate: Rate, drop: boolean): number {
  if (!drop) return 0;
  if (rate.den === 1001 && (rate.num === 30000 || rate.num === 60000)) return rate.num === 30000 ? 2 : 4;
  throw new Error(`drop-frame timecode (with ';') exists only at 30000/1001 and 60000/1001 fps, not ${rate.num}/${rate.den}; type it with ':'`);
}

function framesPerDay(rate: Rate, dropped: number): number {
  return timecodeBase(rate) * 86400 - dropped * (24 * 60 - 24 * 6);
}

/** Whether text looks like a timecode rather than a frame number. */
export function looksLikeTimecode(text: string): boolean {
  return LABEL.test(text.trim());
}

export function isDropFrame(text: string): boolean {
  const m = LABEL.exec(text.trim());
  return m !== null && m[4] !== ":";
}

/** Frames since 00:00:00:00; `drop` undefined takes drop-frame from the separator. Throws on a label that cannot exist. */
export function timecodeToCount(text: string, rate: Rate, drop?: boolean): number {
  const m = LABEL.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not a timecode; type HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame`);
  const [hh, mm, ss, ff] = [m[1], m[2], m[3], m[5]].map(Number);
  const dropped = droppedPerMinute(rate, drop ?? m[4] !== ":");
  const base = timecodeBase(rate);
  if (hh >= 24 || mm >= 60 || ss >= 60 || ff >= base) {
    throw new Error(`${text} is out of range: hours < 24, minutes and seconds < 60, frames < ${base}`);
  }
  if (dropped && ss === 0 && mm % 10 !== 0 && ff < dropped) {
    throw new Error(`${text} does not exist in drop-frame timecode (frames 00-0${dropped - 1} are skipped at most minutes)`);
  }
  const minutes = 60 * hh + mm;
  return (3600 * hh + 60 * mm + ss) * base + ff - dropped * (minutes - Math.floor(minutes / 10));
}

export function countToTimecode(count: number, rate: Rate, drop = false): string {
  const dropped = droppedPerMinute(rate, drop);
  const base = timecodeBase(rate);
  const day = framesPerDay(rate, dropped);
  let n = ((count % day) + day) % day;
  if (dropped) {
    const perMinute = base * 60 - dropped;
    const perTen = base * 600 - 9 * dropped;
    const tens = Math.floor(n / perTen);
    const rest = n % perTen;
    n += 9 * dropped * tens + (rest > dropped ? dropped * Math.floor((rest - dropped) / perMinute) : 0);
  }
  const ff = n % base;
  const seconds = Math.floor(n / base);
  const two = (v: number) => String(v).padStart(2, "0");
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}${dropped ? ";" : ":"}${two(ff)}`;
}

/** The label of plate frame `frame` in a shot whose frame `first` is labelled `start`. */
export function frameToTimecode(frame: number, first: number, start: string, rate: Rate): string {
  const origin = start || "00:00:00:00";
  return countToTimecode(timecodeToCount(origin, rate) + frame - first, rate, isDropFrame(origin));
}

/** The plate frame labelled `text` (typed with ':' or ';'), read in the shot's own counting. */
export function timecodeToFrame(text: string, first: number, start: string, rate: Rate): number {
  const origin = start || "00:00:00:00";
  const drop = isDropFrame(origin);
  const day = framesPerDay(rate, droppedPerMinute(rate, drop));
  const offset = timecodeToCount(text, rate, drop) - timecodeToCount(origin, rate);
  return first + (((offset % day) + day) % day);
}
