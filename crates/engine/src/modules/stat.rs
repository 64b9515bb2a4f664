//! `stat`: facts about a path.
//!
//! ```yaml
//! - stat: path=/etc/rancher/k3s/k3s.yaml
//!   register: kubeconfig
//! ```

use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::{Module, ModuleContext, ModuleResult, args, done, failed, parse_args};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatArgs {
    #[serde(deserialize_with = "args::string_opt", default)]
    path: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    follow: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    get_checksum: Option<bool>,
    #[serde(default, deserialize_with = "args::string_opt")]
    checksum_algorithm: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    get_mime: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    get_attributes: Option<bool>,
}

/// The `stat` module.
pub struct Stat;

impl Module for Stat {
    fn docs(&self) -> Option<crate::modules::docs::DocSource> {
        Some(crate::module_docs!("stat"))
    }

    fn run(&self, _context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let args: StatArgs = match parse_args("ansible.builtin.stat", args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let _ = (
            args.get_checksum,
            args.checksum_algorithm,
            args.get_mime,
            args.get_attributes,
        );
        let Some(path) = args.path else {
            return failed("missing required arguments: path");
        };
        let metadata = if args.follow == Some(true) {
            std::fs::metadata(&path)
        } else {
            std::fs::symlink_metadata(&path)
        };
        let mut result = done(false);
        let stat = match metadata {
            Err(_) => json!({"exists": false}),
            Ok(meta) => {
                let mut stat = json!({
                    "exists": true,
                    "path": path,
                    "isdir": meta.is_dir(),
                    "isreg": meta.is_file(),
                    "islnk": meta.file_type().is_symlink(),
                    "size": meta.len(),
                });
                #[cfg(unix)]
                {
                    use std::os::unix::fs::MetadataExt;
                    stat["mode"] = Json::String(format!("{:04o}", meta.mode() & 0o7777));
                    stat["uid"] = Json::from(meta.uid());
                    stat["gid"] = Json::from(meta.gid());
                    stat["mtime"] = Json::from(meta.mtime());
                }
                if meta.is_file()
                    && args.get_checksum != Some(false)
                    && let Ok(bytes) = std::fs::read(&path)
                {
                    use sha1::Digest;
                    let digest = sha1::Sha1::digest(&bytes);
                    stat["checksum"] =
                        Json::String(digest.iter().map(|b| format!("{b:02x}")).collect());
                }

                stat
            }
        };
        result.insert("stat".into(), stat);
        result
    }
}
