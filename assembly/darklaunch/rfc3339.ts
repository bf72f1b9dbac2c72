// RFC 3339 date-times (`expires_at`), e.g. 2026-12-31T00:00:00Z or 2026-12-31T01:00:00.5+01:00,
// to milliseconds since the Unix epoch. Only the RFC's own grammar (section 5.6): a full date,
// "T", a full time with an offset ("Z" or ±hh:mm); "t" and "z" accepted as the RFC allows.

/** What parseRfc3339 returns for a string that is not an RFC 3339 date-time. */
export const NOT_A_TIME: i64 = i64.MIN_VALUE;

function digits(s: string, at: i32, n: i32): i32 {
  if (at + n > s.length) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(at + i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

function isLeapYear(y: i32): bool {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

function daysInMonth(y: i32, m: i32): i32 {
  if (m == 2) return isLeapYear(y) ? 29 : 28;
  if (m == 4 || m == 6 || m == 9 || m == 11) return 30;
  return 31;
}

/** Days from 1970-01-01 to y-m-d (proleptic Gregorian; "days from civil", H. Hinnant). */
function daysFromCivil(y: i32, m: i32, d: i32): i64 {
  const yy: i64 = <i64>(m <= 2 ? y - 1 : y);
  const era: i64 = (yy >= 0 ? yy : yy - 399) / 400;
  const yoe: i64 = yy - era * 400;
  const mp: i64 = <i64>((m + 9) % 12);
  const doy: i64 = (153 * mp + 2) / 5 + <i64>d - 1;
  const doe: i64 = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/** Milliseconds since the epoch, or NOT_A_TIME. Fractions of a millisecond are dropped. */
export function parseRfc3339(s: string): i64 {
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return NOT_A_TIME;
  if (s.charCodeAt(4) != 0x2d || s.charCodeAt(7) != 0x2d) return NOT_A_TIME; // '-'
  if (day > daysInMonth(year, month)) return NOT_A_TIME;
  const t = s.charCodeAt(10);
  if (t != 0x54 && t != 0x74) return NOT_A_TIME; // 'T' or 't'
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (s.charCodeAt(13) != 0x3a || s.charCodeAt(16) != 0x3a) return NOT_A_TIME; // ':'
  // 60: a leap second, which the RFC allows.
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return NOT_A_TIME;
  let at = 19;
  let millis = 0;
  if (at < s.length && s.charCodeAt(at) == 0x2e) {
    // '.' then at least one digit; only the first three count.
    at++;
    const from = at;
    while (at < s.length && s.charCodeAt(at) >= 0x30 && s.charCodeAt(at) <= 0x39) {
      if (at - from < 3) millis = millis * 10 + (s.charCodeAt(at) - 0x30);
      at++;
    }
    if (at == from) return NOT_A_TIME;
    for (let k = at - from; k < 3; k++) millis *= 10;
  }
  if (at >= s.length) return NOT_A_TIME;
  let offsetMinutes = 0;
  const z = s.charCodeAt(at);
  if (z == 0x5a || z == 0x7a) {
    // 'Z' or 'z'
    at++;
  } else if (z == 0x2b || z == 0x2d) {
    // '+' or '-', then hh:mm
    const oh = digits(s, at + 1, 2);
    const om = digits(s, at + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59 || s.charCodeAt(at + 3) != 0x3a) return NOT_A_TIME;
    offsetMinutes = (oh * 60 + om) * (z == 0x2b ? 1 : -1);
    at += 6;
  } else {
    return NOT_A_TIME;
  }
  if (at != s.length) return NOT_A_TIME;
  const days = daysFromCivil(year, month, day);
  const seconds: i64 = ((days * 24 + <i64>hour) * 60 + <i64>minute - <i64>offsetMinutes) * 60 + <i64>second;
  return seconds * 1000 + <i64>millis;
}

function pad(v: i64, width: i32): string {
  let s = v.toString();
  while (s.length < width) s = "0" + s;
  return s;
}

/**
 * Milliseconds since the Unix epoch as an RFC 3339 time in UTC with milliseconds,
 * e.g. `2026-11-26T09:47:49.891Z` ("civil from days", H. Hinnant; years 0000–9999).
 */
export function formatRfc3339Utc(ms: i64): string {
  let days = ms / 86400000;
  let rest = ms % 86400000;
  if (rest < 0) {
    rest += 86400000;
    days--;
  }
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const h = rest / 3600000;
  const min = (rest / 60000) % 60;
  const s = (rest / 1000) % 60;
  const milli = rest % 1000;
  return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(h, 2) + ":" + pad(min, 2) + ":" + pad(s, 2) + "." + pad(milli, 3) + "Z";
}
