//! Registry credentials: explicit, or from a Docker-style config file
//! (`--registry-config`, `$DOCKER_CONFIG/config.json`,
//! `~/.docker/config.json`), which is where `helm registry login` and
//! `docker login` put them. Credential helpers are not consulted.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use super::SourceError;

/// A username/password pair. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password or token.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// The `Authorization: Basic …` header value.
    pub fn basic_header(&self) -> String {
        format!(
            "Basic {}",
            B64.encode(format!("{}:{}", self.username, self.password))
        )
    }
}

/// The default Docker config path: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
pub fn default_config_path() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(d).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// Looks `host` up in a Docker config file. A missing file is no
/// credentials; an unreadable or malformed one is an error naming it.
pub fn from_docker_config(path: &Path, host: &str) -> Result<Option<Credentials>, SourceError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SourceError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let malformed = |reason: &str| SourceError::Malformed {
        what: path.display().to_string(),
        reason: reason.to_string(),
    };
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| malformed(&format!("invalid JSON: {e}")))?;
    let Some(auths) = json.get("auths").and_then(|a| a.as_object()) else {
        return Ok(None);
    };
    let candidates = [
        host.to_string(),
        format!("https://{host}"),
        format!("http://{host}"),
        format!("https://{host}/v1/"),
        format!("https://{host}/v2/"),
    ];
    let Some(entry) = candidates.iter().find_map(|k| auths.get(k)) else {
        return Ok(None);
    };
    if let Some(auth) = entry.get("auth").and_then(|a| a.as_str()) {
        let decoded = B64.decode(auth.trim()).map_err(|_| {
            malformed(&format!(
                "auths.{host}.auth: expected base64 of user:password"
            ))
        })?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| malformed(&format!("auths.{host}.auth: not UTF-8")))?;
        let (u, p) = decoded
            .split_once(':')
            .ok_or_else(|| malformed(&format!("auths.{host}.auth: expected user:password")))?;
        return Ok(Some(Credentials {
            username: u.to_string(),
            password: p.to_string(),
        }));
    }
    let field = |k: &str| entry.get(k).and_then(|v| v.as_str()).map(str::to_string);
    Ok(match (field("username"), field("password")) {
        (Some(username), Some(password)) => Some(Credentials { username, password }),
        _ => None,
    })
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// `Basic realm=…`.
    Basic,
    /// `Bearer realm=…,service=…,scope=…`.
    Bearer {
        /// Token endpoint.
        realm: String,
        /// `service` parameter.
        service: Option<String>,
        /// `scope` parameter.
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` header (RFC 7235 auth-params, quoted or not).
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = std::collections::BTreeMap::new();
    let mut s = rest.trim();
    while !s.is_empty() {
        let (key, after) = s.split_once('=')?;
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (q[..end].to_string(), &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        params.insert(key, value);
        s = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge::Bearer {
        realm: params.remove("realm")?,
        service: params.remove("service"),
        scope: params.remove("scope"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(
            parse_challenge(
                r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.example/token".into(),
                service: Some("registry.example".into()),
                scope: Some("repository:a/b:pull".into()),
            })
        );
        assert_eq!(
            parse_challenge(r#"Basic realm="x""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(parse_challenge("Bearer service=x"), None);
    }

    #[test]
    fn docker_config() {
        let dir = std::env::temp_dir().join(format!("sb-helm-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("config.json");
        std::fs::write(
            &p,
            r#"{"auths":{"r.example:5000":{"auth":"dXNlcjpwYTpzcw=="},"https://other":{"username":"u","password":"p"}}}"#,
        )
        .unwrap();
        let c = from_docker_config(&p, "r.example:5000").unwrap().unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.as_str()),
            ("user", "pa:ss")
        );
        assert!(!format!("{c:?}").contains("pa:ss"));
        assert_eq!(
            from_docker_config(&p, "other").unwrap().unwrap().username,
            "u"
        );
        assert!(from_docker_config(&p, "nope").unwrap().is_none());
        assert!(
            from_docker_config(&dir.join("missing.json"), "x")
                .unwrap()
                .is_none()
        );
        std::fs::write(&p, "{").unwrap();
        let e = from_docker_config(&p, "x").unwrap_err();
        assert!(e.to_string().contains("config.json"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
