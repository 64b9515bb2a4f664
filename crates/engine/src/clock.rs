//! Wall-clock formatting in the forms Ansible prints (`2026-04-12 08:30:00.123456`,
//! `0:00:01.503120`), in UTC, without a date-time dependency.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Calendar fields of a UTC instant.
pub struct Civil {
    /// Year.
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
    /// Hour.
    pub hour: u32,
    /// Minute.
    pub minute: u32,
    /// Second.
    pub second: u32,
    /// Microseconds.
    pub micros: u32,
}

/// Splits an instant into calendar fields (Howard Hinnant's days-from-civil inverse).
pub fn civil(time: SystemTime) -> Civil {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let epoch = since.as_secs() as i64;
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    Civil {
        year: if month <= 2 { y + 1 } else { y },
        month,
        day,
        hour: (secs / 3600) as u32,
        minute: ((secs % 3600) / 60) as u32,
        second: (secs % 60) as u32,
        micros: since.subsec_micros(),
    }
}

/// `2026-04-12 08:30:00.123456`.
pub fn timestamp(time: SystemTime) -> String {
    let c = civil(time);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.micros
    )
}

/// `0:00:01.503120` (Python's `str(timedelta)`).
pub fn delta(duration: Duration) -> String {
    let secs = duration.as_secs();
    format!(
        "{}:{:02}:{:02}.{:06}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60,
        duration.subsec_micros()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_python() {
        let time = UNIX_EPOCH + Duration::from_micros(1_776_000_000_123_456);
        assert_eq!(timestamp(time), "2026-04-12 13:20:00.123456");
        assert_eq!(
            delta(Duration::from_micros(3_661_000_001)),
            "1:01:01.000001"
        );
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01 00:00:00.000000");
    }
}
