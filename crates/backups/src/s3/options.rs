//! From pgBackRest options (`pgbackrest.conf`, PGO's `s3.conf`, a PGO spec's `global`) to
//! [`S3Settings`], repository path and passphrase.
//!
//! Guards must read the same bucket pgBackRest will use, with the same defaults, and say in
//! pgBackRest's own terms what is missing (error 037, option required) before anything is
//! created. Option names, legacy aliases and defaults follow pgBackRest 2.45's documentation.

use std::collections::BTreeMap;

use super::{S3Credentials, S3Settings, TlsTrust, UriStyle};
use crate::secret::Secret;

/// A problem with the pgBackRest options themselves.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OptionError {
    /// A required option is absent.
    #[error(
        "option '{option}' is required{why} (pgBackRest would fail with error 037, option required)"
    )]
    Required {
        /// Full option name, e.g. `repo1-s3-bucket`.
        option: String,
        /// Why it is required in this configuration (may be empty).
        why: String,
    },
    /// An option has a value pgBackRest does not accept.
    #[error("option '{option}' has invalid value '{value}': expected {expected}")]
    Invalid {
        /// Full option name.
        option: String,
        /// The value (never a secret option).
        value: String,
        /// Accepted values.
        expected: &'static str,
    },
    /// The repository is not in S3.
    #[error("repo{repo} is of type '{kind}', not s3; only S3 repositories can be inspected")]
    NotS3 {
        /// Repository index.
        repo: u32,
        /// The configured `repoN-type`.
        kind: String,
    },
    /// A line of a pgbackrest.conf cannot be parsed.
    #[error("line {line}: expected '[section]' or 'option=value'")]
    Syntax {
        /// 1-based line number.
        line: usize,
    },
}

/// Everything needed to inspect one pgBackRest S3 repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoOptions {
    /// Where and how to connect.
    pub s3: S3Settings,
    /// `repoN-path` (default `/var/lib/pgbackrest`).
    pub repo_path: String,
    /// `repoN-cipher-pass` when `repoN-cipher-type=aes-256-cbc`.
    pub cipher_pass: Option<Secret>,
}

/// Options of a `pgbackrest.conf`-style text: `[global]` first, then `section` (e.g. the stanza)
/// overriding it. Values are kept verbatim (trimmed).
pub fn parse_conf(
    text: &str,
    section: Option<&str>,
) -> Result<BTreeMap<String, String>, OptionError> {
    let mut global = BTreeMap::new();
    let mut specific = BTreeMap::new();
    let mut current = String::new();
    for (idx, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            current = name
                .strip_suffix(']')
                .ok_or(OptionError::Syntax { line: idx + 1 })?
                .trim()
                .to_owned();
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or(OptionError::Syntax { line: idx + 1 })?;
        let (k, v) = (k.trim().to_owned(), v.trim().to_owned());
        if current == "global" {
            global.insert(k, v);
        } else if Some(current.as_str()) == section {
            specific.insert(k, v);
        }
    }
    global.extend(specific);
    Ok(global)
}

/// Build [`RepoOptions`] for repository `repo` (1-based) from merged options.
pub fn repo_options(
    options: &BTreeMap<String, String>,
    repo: u32,
) -> Result<RepoOptions, OptionError> {
    let name = |suffix: &str| format!("repo{repo}-{suffix}");
    // First present of an option and its legacy aliases.
    let get = |suffixes: &[&str]| -> Option<String> {
        suffixes
            .iter()
            .find_map(|s| options.get(&name(s)).cloned())
            .filter(|v| !v.is_empty())
    };
    let required = |suffix: &str, why: &str| -> Result<String, OptionError> {
        get(&[suffix]).ok_or_else(|| OptionError::Required {
            option: name(suffix),
            why: why.to_owned(),
        })
    };
    let kind = get(&["type"]).unwrap_or_else(|| "posix".to_owned());
    if kind != "s3" {
        return Err(OptionError::NotS3 { repo, kind });
    }
    let bucket = required("s3-bucket", "")?;
    let endpoint = required("s3-endpoint", "")?;
    let region = required("s3-region", "")?;
    let port = get(&["storage-port", "s3-port"]);
    let endpoint = match (&port, endpoint.contains("://")) {
        (Some(p), false) if !endpoint.contains(':') => format!("{endpoint}:{p}"),
        _ => endpoint,
    };
    let uri_style = match get(&["s3-uri-style"]).as_deref() {
        None | Some("host") => UriStyle::Host,
        Some("path") => UriStyle::Path,
        Some(v) => {
            return Err(OptionError::Invalid {
                option: name("s3-uri-style"),
                value: v.to_owned(),
                expected: "host or path",
            });
        }
    };
    let verify = get(&["storage-verify-tls", "s3-verify-tls", "s3-verify-ssl"]);
    let tls = match verify.as_deref() {
        Some("n") => TlsTrust::Insecure,
        None | Some("y") => match get(&["storage-ca-file", "s3-ca-file"]) {
            Some(f) => TlsTrust::CaFile(f.into()),
            None => TlsTrust::System,
        },
        Some(v) => {
            return Err(OptionError::Invalid {
                option: name("storage-verify-tls"),
                value: v.to_owned(),
                expected: "y or n",
            });
        }
    };
    let credentials = match get(&["s3-key-type"]).as_deref() {
        None | Some("shared") => S3Credentials::Static {
            access_key_id: required("s3-key", " when repo-s3-key-type=shared")?,
            secret_access_key: Secret::new(required(
                "s3-key-secret",
                " when repo-s3-key-type=shared",
            )?),
            session_token: get(&["s3-token"]).map(Secret::new),
        },
        Some("auto") | Some("web-id") => S3Credentials::DefaultChain,
        Some(v) => {
            return Err(OptionError::Invalid {
                option: name("s3-key-type"),
                value: v.to_owned(),
                expected: "shared, auto or web-id",
            });
        }
    };
    let cipher_pass = match get(&["cipher-type"]).as_deref() {
        None | Some("none") => None,
        Some("aes-256-cbc") => Some(Secret::new(required(
            "cipher-pass",
            " when repo-cipher-type=aes-256-cbc",
        )?)),
        Some(v) => {
            return Err(OptionError::Invalid {
                option: name("cipher-type"),
                value: v.to_owned(),
                expected: "none or aes-256-cbc",
            });
        }
    };
    let mut s3 = S3Settings::new(bucket, region);
    s3.endpoint = Some(endpoint);
    s3.uri_style = uri_style;
    s3.tls = tls;
    s3.credentials = credentials;
    Ok(RepoOptions {
        s3,
        repo_path: get(&["path"]).unwrap_or_else(|| "/var/lib/pgbackrest".to_owned()),
        cipher_pass,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PGO_STYLE: &str = "# s3.conf from a PGO Secret plus the spec's global options\n\
        [global]\n\
        repo1-type=s3\n\
        repo1-path=/pgbackrest/repo1\n\
        repo1-s3-bucket=backups\n\
        repo1-s3-endpoint=minio.example\n\
        repo1-storage-port=9000\n\
        repo1-s3-region=us-east-1\n\
        repo1-s3-uri-style=path\n\
        repo1-storage-verify-tls=n\n\
        repo1-s3-key=AKID\n\
        repo1-s3-key-secret=s3cr3t\n\
        repo1-cipher-type=aes-256-cbc\n\
        repo1-cipher-pass=pass\n\
        [db]\n\
        repo1-path=/pgbackrest/db-repo\n\
        [other]\n\
        repo1-path=/ignored\n";

    #[test]
    fn maps_pgo_options() {
        let o = repo_options(&parse_conf(PGO_STYLE, Some("db")).unwrap(), 1).unwrap();
        assert_eq!(o.repo_path, "/pgbackrest/db-repo");
        assert_eq!(
            o.s3.endpoint_url().as_deref(),
            Some("https://minio.example:9000")
        );
        assert_eq!(o.s3.bucket, "backups");
        assert_eq!(o.s3.uri_style, UriStyle::Path);
        assert_eq!(o.s3.tls, TlsTrust::Insecure);
        assert_eq!(o.cipher_pass.as_ref().map(Secret::expose), Some("pass"));
        match &o.s3.credentials {
            S3Credentials::Static {
                access_key_id,
                secret_access_key,
                session_token,
            } => {
                assert_eq!(access_key_id, "AKID");
                assert_eq!(secret_access_key.expose(), "s3cr3t");
                assert!(session_token.is_none());
            }
            other => panic!("{other:?}"),
        }
        assert!(!format!("{o:?}").contains("s3cr3t"));
    }

    #[test]
    fn missing_options_are_named_like_pgbackrest() {
        let mut m = parse_conf(PGO_STYLE, None).unwrap();
        m.remove("repo1-s3-key");
        let e = repo_options(&m, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "option 'repo1-s3-key' is required when repo-s3-key-type=shared (pgBackRest would fail with error 037, option required)"
        );
        m.insert("repo1-s3-key-type".into(), "web-id".into());
        assert_eq!(
            repo_options(&m, 1).unwrap().s3.credentials,
            S3Credentials::DefaultChain
        );
        m.remove("repo1-cipher-pass");
        assert!(
            repo_options(&m, 1)
                .unwrap_err()
                .to_string()
                .contains("'repo1-cipher-pass'")
        );
        let mut m = parse_conf(PGO_STYLE, None).unwrap();
        m.remove("repo1-s3-bucket");
        assert!(
            matches!(repo_options(&m, 1), Err(OptionError::Required { option, .. }) if option == "repo1-s3-bucket")
        );
        assert!(matches!(
            repo_options(&m, 2),
            Err(OptionError::NotS3 { repo: 2, .. })
        ));
        let mut m = parse_conf(PGO_STYLE, None).unwrap();
        m.insert("repo1-s3-uri-style".into(), "virtual".into());
        assert!(matches!(
            repo_options(&m, 1),
            Err(OptionError::Invalid { .. })
        ));
    }

    #[test]
    fn defaults_and_legacy_names() {
        let m = parse_conf(
            "[global]\nrepo1-type=s3\nrepo1-s3-bucket=b\nrepo1-s3-endpoint=s3.us-west-2.amazonaws.com\n\
             repo1-s3-region=us-west-2\nrepo1-s3-key-type=auto\nrepo1-s3-ca-file=/etc/ca.pem\n",
            None,
        )
        .unwrap();
        let o = repo_options(&m, 1).unwrap();
        assert_eq!(o.repo_path, "/var/lib/pgbackrest");
        assert_eq!(o.s3.uri_style, UriStyle::Host);
        assert_eq!(o.s3.tls, TlsTrust::CaFile("/etc/ca.pem".into()));
        assert_eq!(
            o.s3.endpoint_url().as_deref(),
            Some("https://s3.us-west-2.amazonaws.com")
        );
        assert!(o.cipher_pass.is_none());
        assert!(matches!(
            parse_conf("[global\n", None),
            Err(OptionError::Syntax { line: 1 })
        ));
    }
}
