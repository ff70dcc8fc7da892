/**
 * Calendar days in a time zone, as instants: where a usage interval is cut so that each day
 * gets its own hours. Days are UTC unless a zone is named; a zone's day may be 23 or 25 hours
 * long around a daylight-saving change, and the cut follows it.
 */

const DAY_MS = 86_400_000;

function wallClockFormat(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Whether `timeZone` is an IANA name this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    wallClockFormat(timeZone);
    return true;
  } catch {
    return false;
  }
}

export class CalendarDays {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timeZone = 'UTC') {
    this.format = wallClockFormat(timeZone);
  }

  /** The zone's wall clock at `ms`, read as if it were UTC. */
  private wallClock(ms: number): number {
    const parts = Object.fromEntries(this.format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  }

  /** `YYYY-MM-DD` of the day `ms` falls in. */
  dayOf(ms: number): string {
    return new Date(this.wallClock(ms)).toISOString().slice(0, 10);
  }

  /** The instant the day `YYYY-MM-DD` begins in the zone. */
  startOf(day: string): number {
    const midnight = Date.parse(`${day}T00:00:00Z`);
    // Two passes settle the zone's offset even when midnight is near a change.
    let guess = midnight - (this.wallClock(midnight) - midnight);
    guess = midnight - (this.wallClock(guess) - guess);
    return guess;
  }

  /** The day after `day`. */
  static next(day: string): string {
    return new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
  }

  /** Cuts [from, to) at each midnight of the zone: the seconds of each day it covers. */
  split(from: number, to: number): Array<{ day: string; ms: number }> {
    const pieces: Array<{ day: string; ms: number }> = [];
    let at = from;
    while (at < to) {
      const day = this.dayOf(at);
      const nextDay = this.startOf(CalendarDays.next(day));
      // A zone whose midnight does not exist that day (a change at 00:00): never stand still.
      const end = Math.min(to, nextDay > at ? nextDay : at + 3_600_000);
      pieces.push({ day, ms: end - at });
      at = end;
    }
    return pieces;
  }
}
