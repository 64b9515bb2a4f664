//! The minimal facts `gather_facts` provides for local hosts.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json, json};

/// Facts about the machine stackbook runs on.
pub fn gather() -> Json {
    let now_time = SystemTime::now();
    let now = now_time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let crate::clock::Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
        ..
    } = crate::clock::civil(now_time);

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

/// Gathered facts as a variable layer: each fact as a top-level `ansible_*` variable (Ansible's
/// INJECT_FACTS_AS_VARS) plus `ansible_facts` with the prefix dropped.
pub fn layer(facts: &Json) -> std::sync::Arc<stackbook_template::VarLayer> {
    let mut vars: Vec<(String, minijinja::Value)> = Vec::new();
    let mut unprefixed: Vec<(String, minijinja::Value)> = Vec::new();
    if let Some(map) = facts.as_object() {
        for (name, value) in map {
            let value = crate::value::from_json(value);
            let short = name.strip_prefix("ansible_").unwrap_or(name).to_string();
            unprefixed.push((short, value.clone()));
            vars.push((name.clone(), value));
        }
    }
    vars.push((
        "ansible_facts".into(),
        minijinja::Value::from_pairs(unprefixed),
    ));
    stackbook_template::VarLayer::ordered(vars)
}
