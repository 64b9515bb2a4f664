//! The minimal facts `gather_facts` provides for local hosts.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json, json};

/// Facts about the machine stackbook runs on.
pub fn gather() -> Json {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (year, month, day, hour, minute, second) = civil_from_epoch(now);
    let env: serde_json::Map<String, Json> = std::env::vars()
        .map(|(k, v)| (k, Json::String(v)))
        .collect();
    let hostname = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    json!({
        "ansible_date_time": {
            "date": format!("{year:04}-{month:02}-{day:02}"),
            "time": format!("{hour:02}:{minute:02}:{second:02}"),
            "year": format!("{year:04}"),
            "month": format!("{month:02}"),
            "day": format!("{day:02}"),
            "hour": format!("{hour:02}"),
            "minute": format!("{minute:02}"),
            "second": format!("{second:02}"),
            "epoch": now.to_string(),
            "iso8601": format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z"),
            "tz": "UTC",
        },
        "ansible_env": env,
        "ansible_hostname": hostname.split('.').next().unwrap_or("localhost"),
        "ansible_nodename": hostname,
        "ansible_system": std::env::consts::OS.replace("linux", "Linux"),
        "ansible_architecture": std::env::consts::ARCH,
        "ansible_os_family": if cfg!(target_os = "linux") { "Debian" } else { "Unknown" },
        "ansible_user_id": std::env::var("USER").unwrap_or_else(|_| "root".into()),
        "ansible_connection": "local",
    })
}

/// Days-from-civil inverse (Howard Hinnant's algorithm), UTC.
fn civil_from_epoch(epoch: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = if m <= 2 { y + 1 } else { y };
    (
        year,
        m,
        d,
        (secs / 3600) as u32,
        ((secs % 3600) / 60) as u32,
        (secs % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_epoch(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(
            super::civil_from_epoch(1_776_000_000),
            (2026, 4, 12, 13, 20, 0)
        );
    }
}
