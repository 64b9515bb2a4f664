//! Minimal date support: `now`, `date`, `dateInZone` (UTC only),
//! `htmlDate`, `unixEpoch`, `toDate` with Go reference-time layouts.

use std::sync::Arc;

use super::args::want_str;
use crate::gotmpl::FuncMap;
use crate::value::{Object, Value};

/// A UTC instant (`time.Time`).
#[derive(Debug, Clone, Copy)]
pub struct Time {
    /// Seconds since the Unix epoch.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Time {
    fn now() -> Time {
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Time {
            secs: d.as_secs() as i64,
            nanos: d.subsec_nanos(),
        }
    }

    /// (year, month, day, hour, minute, second, weekday 0=Sunday, yday)
    fn civil(&self) -> (i64, u32, u32, u32, u32, u32, u32) {
        let days = self.secs.div_euclid(86400);
        let rem = self.secs.rem_euclid(86400) as u32;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = if m <= 2 { y + 1 } else { y };
        let wd = (days + 4).rem_euclid(7) as u32;
        (y, m, d, rem / 3600, rem / 60 % 60, rem % 60, wd)
    }

    /// Formats with a Go layout.
    pub fn format(&self, layout: &str) -> String {
        const MONTHS: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const DAYS: [&str; 7] = [
            "Sunday",
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
        ];
        let (y, mo, d, h, mi, s, wd) = self.civil();
        let toks: &[(&str, String)] = &[
            ("2006", format!("{y:04}")),
            ("January", MONTHS[(mo - 1) as usize].to_string()),
            ("Monday", DAYS[wd as usize].to_string()),
            ("Jan", MONTHS[(mo - 1) as usize][..3].to_string()),
            ("Mon", DAYS[wd as usize][..3].to_string()),
            ("MST", "UTC".to_string()),
            ("Z07:00", "Z".to_string()),
            ("-07:00", "+00:00".to_string()),
            ("-0700", "+0000".to_string()),
            (".000000000", format!(".{:09}", self.nanos)),
            (".999999999", {
                let f = format!("{:09}", self.nanos);
                let t = f.trim_end_matches('0');
                if t.is_empty() {
                    String::new()
                } else {
                    format!(".{t}")
                }
            }),
            (".000000", format!(".{:06}", self.nanos / 1000)),
            (".000", format!(".{:03}", self.nanos / 1_000_000)),
            ("06", format!("{:02}", y % 100)),
            ("01", format!("{mo:02}")),
            ("02", format!("{d:02}")),
            ("_2", format!("{d:>2}")),
            ("15", format!("{h:02}")),
            (
                "03",
                format!("{:02}", if h % 12 == 0 { 12 } else { h % 12 }),
            ),
            ("04", format!("{mi:02}")),
            ("05", format!("{s:02}")),
            ("PM", if h >= 12 { "PM".into() } else { "AM".into() }),
            ("pm", if h >= 12 { "pm".into() } else { "am".into() }),
            ("1", mo.to_string()),
            ("2", d.to_string()),
            ("3", (if h % 12 == 0 { 12 } else { h % 12 }).to_string()),
            ("4", mi.to_string()),
            ("5", s.to_string()),
        ];
        let mut out = String::new();
        let mut rest = layout;
        'outer: while !rest.is_empty() {
            for (t, v) in toks {
                if let Some(r) = rest.strip_prefix(t) {
                    out.push_str(v);
                    rest = r;
                    continue 'outer;
                }
            }
            let mut cs = rest.chars();
            if let Some(c) = cs.next() {
                out.push(c);
            }
            rest = cs.as_str();
        }
        out
    }
}

impl Object for Time {
    fn type_name(&self) -> &str {
        "time.Time"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn call_method(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        Some(Ok(match name {
            "Unix" => Value::Int64(self.secs),
            "Year" => Value::Int(self.civil().0),
            "Format" => match args.first().and_then(Value::as_str) {
                Some(l) => Value::from(self.format(l)),
                None => return Some(Err("Format needs a layout".into())),
            },
            "UTC" => Value::Object(Arc::new(*self)),
            _ => return None,
        }))
    }
    fn display(&self) -> String {
        self.format("2006-01-02 15:04:05.999999999 -0700 MST")
    }
    fn to_data(&self) -> Value {
        Value::from(self.format("2006-01-02T15:04:05.999999999Z07:00"))
    }
}

fn as_time(v: &Value) -> Time {
    match v {
        Value::Int(i) | Value::Int64(i) => Time { secs: *i, nanos: 0 },
        Value::Float(f) => Time {
            secs: *f as i64,
            nanos: 0,
        },
        Value::Object(o) if o.type_name() == "time.Time" => {
            let secs = match o.call_method("Unix", &[]) {
                Some(Ok(Value::Int64(s))) => s,
                _ => 0,
            };
            Time { secs, nanos: 0 }
        }
        _ => Time::now(),
    }
}

fn parse_date(layout: &str, s: &str) -> Result<Time, String> {
    // Supports the numeric layouts charts use: 2006-01-02[ 15:04:05|T15:04:05Z07:00]
    let bad = || format!("parsing time {s:?} as {layout:?}: cannot parse");
    let digits = |x: &str| x.parse::<i64>().map_err(|_| bad());
    let (date, time) = match s.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut it = date.split('-');
    let (y, m, d) = (
        digits(it.next().unwrap_or(""))?,
        digits(it.next().unwrap_or(""))?,
        digits(it.next().unwrap_or(""))?,
    );
    let (mut h, mut mi, mut sec) = (0, 0, 0);
    if let Some(t) = time {
        let t = t.trim_end_matches('Z');
        let mut p = t.split(':');
        h = digits(p.next().unwrap_or("0"))?;
        mi = digits(p.next().unwrap_or("0"))?;
        sec = digits(p.next().unwrap_or("0").split('.').next().unwrap_or("0"))?;
    }
    let (yy, mm) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(Time {
        secs: days * 86400 + h * 3600 + mi * 60 + sec,
        nanos: 0,
    })
}

/// Go's `time.Duration.String()` for a nanosecond count.
pub fn go_duration(nanos: i128) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let neg = nanos < 0;
    let n = nanos.unsigned_abs();
    let mut out = String::new();
    if n < 1_000_000_000 {
        let (unit, div) = if n < 1_000 {
            ("ns", 1u128)
        } else if n < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        out.push_str(&frac(n, div));
        out.push_str(unit);
    } else {
        let h = n / 3_600_000_000_000;
        let m = n / 60_000_000_000 % 60;
        let s = n % 60_000_000_000;
        if h > 0 {
            out.push_str(&format!("{h}h"));
        }
        if h > 0 || m > 0 {
            out.push_str(&format!("{m}m"));
        }
        out.push_str(&frac(s, 1_000_000_000));
        out.push('s');
    }
    if neg { format!("-{out}") } else { out }
}

fn frac(n: u128, div: u128) -> String {
    let whole = n / div;
    let rem = n % div;
    if rem == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let f = format!("{rem:0width$}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

/// Parses Go duration syntax (`1h30m`, `-2.5s`, `300ms`) to nanoseconds.
pub fn parse_go_duration(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let num: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += num * mult;
        rest = &rest[unit_end..];
    }
    Some(if neg { -(total as i128) } else { total as i128 })
}

fn duration_round(v: &Value) -> String {
    let nanos: i128 = match v {
        Value::Str(s) => parse_go_duration(s).unwrap_or(0),
        Value::Int(i) | Value::Int64(i) => *i as i128,
        Value::Object(_) => {
            let t = as_time(v);
            (Time::now().secs - t.secs) as i128 * 1_000_000_000
        }
        _ => 0,
    };
    let secs = (nanos / 1_000_000_000).unsigned_abs();
    let sign = if nanos < 0 { "-" } else { "" };
    let (year, month, day, hour, minute) =
        (31_536_000u128, 2_592_000u128, 86_400u128, 3_600u128, 60u128);
    let out = if secs > year {
        format!("{}y", secs / year)
    } else if secs > month {
        format!("{}mo", secs / month)
    } else if secs > day {
        format!("{}d", secs / day)
    } else if secs > hour {
        format!("{}h", secs / hour)
    } else if secs > minute {
        format!("{}m", secs / minute)
    } else {
        format!("{secs}s")
    };
    format!("{sign}{out}")
}

/// Registers date functions.
pub fn register(m: &mut FuncMap) {
    m.add("now", 0, |_| Ok(Value::Object(Arc::new(Time::now()))));
    m.add("date", 2, |a| {
        Ok(Value::from(as_time(&a[1]).format(want_str(&a[0])?)))
    });
    m.add("dateInZone", 3, |a| {
        Ok(Value::from(as_time(&a[1]).format(want_str(&a[0])?)))
    });
    m.add("htmlDate", 1, |a| {
        Ok(Value::from(as_time(&a[0]).format("2006-01-02")))
    });
    m.add("htmlDateInZone", 2, |a| {
        Ok(Value::from(as_time(&a[0]).format("2006-01-02")))
    });
    m.add("duration", 1, |a| {
        // Sprig only converts strings and int64; anything else is 0s.
        let n: i64 = match &a[0] {
            Value::Str(s) => s.parse().unwrap_or(0),
            Value::Int64(i) => *i,
            _ => 0,
        };
        Ok(Value::from(go_duration(n as i128 * 1_000_000_000)))
    });
    m.add("durationRound", 1, |a| {
        Ok(Value::from(duration_round(&a[0])))
    });
    m.add("ago", 1, |a| {
        let t = as_time(&a[0]);
        let now = Time::now();
        Ok(Value::from(go_duration(
            (now.secs - t.secs) as i128 * 1_000_000_000,
        )))
    });
    m.add("dateModify", 2, |a| {
        let d = parse_go_duration(want_str(&a[0])?)
            .ok_or_else(|| format!("time: invalid duration {:?}", super::args::strval(&a[0])))?;
        let t = as_time(&a[1]);
        let total = t.secs as i128 * 1_000_000_000 + t.nanos as i128 + d;
        Ok(Value::Object(Arc::new(Time {
            secs: total.div_euclid(1_000_000_000) as i64,
            nanos: total.rem_euclid(1_000_000_000) as u32,
        })))
    });
    m.add("unixEpoch", 1, |a| {
        Ok(Value::from(as_time(&a[0]).secs.to_string()))
    });
    m.add("toDate", 2, |a| {
        Ok(Value::Object(Arc::new(parse_date(
            want_str(&a[0])?,
            want_str(&a[1])?,
        )?)))
    });
}
