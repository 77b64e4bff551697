//! Civil time conversions (RFC 3339) without a date-time crate.
//!
//! The verifier's core never reads the clock; callers pass "now" in as [`UnixTime`].

/// Seconds since the Unix epoch (UTC). Negative values are before 1970.
pub type UnixTime = i64;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Unix time of a UTC calendar date and time, or `None` if a field is out of range.
pub fn from_civil(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Option<UnixTime> {
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60
    {
        return None;
    }
    let s = s.min(59); // a leap second is folded into :59
    days_from_civil(y, mo, d)
        .checked_mul(86_400)?
        .checked_add(i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s))
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |acc, c| {
        acc.checked_mul(10)?.checked_add(u32::from(c - b'0'))
    })
}

/// Parses an RFC 3339 timestamp (`2021-01-12T11:53:27Z`, `...27.123Z`, `...27+02:00`),
/// as the proto3 JSON mapping of `google.protobuf.Timestamp` writes it. Fractional
/// seconds are truncated. Returns `None` for anything else.
pub fn parse_rfc3339(s: &str) -> Option<UnixTime> {
    let b = s.as_bytes();
    let date = b.get(0..10)?;
    let (y, mo, d) = (date.get(0..4)?, date.get(5..7)?, date.get(8..10)?);
    if date.get(4) != Some(&b'-') || date.get(7) != Some(&b'-') {
        return None;
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let t = b.get(11..19)?;
    if t.get(2) != Some(&b':') || t.get(5) != Some(&b':') {
        return None;
    }
    let (h, mi, sec) = (t.get(0..2)?, t.get(3..5)?, t.get(6..8)?);
    let mut rest = b.get(19..)?;
    if rest.first() == Some(&b'.') {
        let frac_len = rest
            .iter()
            .skip(1)
            .take_while(|c| c.is_ascii_digit())
            .count();
        if frac_len == 0 || frac_len > 9 {
            return None;
        }
        rest = rest.get(1 + frac_len..)?;
    }
    let offset: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
            let oh = i64::from(digits(&[*oh1, *oh2])?);
            let om = i64::from(digits(&[*om1, *om2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            if *sign == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return None,
    };
    let base = from_civil(
        i64::from(digits(y)?),
        digits(mo)?,
        digits(d)?,
        digits(h)?,
        digits(mi)?,
        digits(sec)?,
    )?;
    base.checked_sub(offset)
}

/// Formats a Unix time as RFC 3339 UTC with second precision (`2021-01-12T11:53:27Z`).
pub fn format_rfc3339(t: UnixTime) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_instants() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2021-01-12T11:53:27Z"), Some(1_610_452_407));
        assert_eq!(
            parse_rfc3339("2021-01-12T11:53:27.000Z"),
            Some(1_610_452_407)
        );
        assert_eq!(
            parse_rfc3339("2021-01-12T13:53:27+02:00"),
            Some(1_610_452_407)
        );
        assert_eq!(format_rfc3339(1_610_452_407), "2021-01-12T11:53:27Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
        for t in [0i64, 951_782_400, 4_102_444_800, 1_709_164_800] {
            assert_eq!(parse_rfc3339(&format_rfc3339(t)), Some(t));
        }
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2021-01-12",
            "2021-13-12T11:53:27Z",
            "2021-02-30T11:53:27Z",
            "2021-01-12T11:53:27",
            "2021-01-12T11:53:27.Z",
            "2021-01-12T24:00:00Z",
            "2021-01-12T11:53:27Zjunk",
            "２021-01-12T11:53:27Z",
        ] {
            assert_eq!(parse_rfc3339(s), None, "{s}");
        }
    }
}
