//! `copy`: write `content` or a source file to a destination, idempotently.
//!
//! ```yaml
//! - copy: {content: "{{ config | to_nice_yaml }}", dest: /etc/app.yaml, mode: "0640"}
//! ```

use std::path::Path;

use serde::Deserialize;
use serde_json::Value as Json;

use super::{Module, ModuleContext, ModuleResult, args, done, failed, parse_args};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CopyArgs {
    content: Option<Json>,
    #[serde(deserialize_with = "args::string_opt", default)]
    src: Option<String>,
    #[serde(deserialize_with = "args::string_opt", default)]
    dest: Option<String>,
    #[serde(deserialize_with = "args::string_opt", default)]
    mode: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    force: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    remote_src: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    backup: Option<bool>,
    owner: Option<Json>,
    group: Option<Json>,
}

/// The `copy` module.
pub struct Copy;

impl Module for Copy {
    fn docs(&self) -> Option<crate::modules::docs::DocSource> {
        Some(crate::module_docs!("copy"))
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let args: CopyArgs = match parse_args("ansible.builtin.copy", args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let _ = (args.backup, args.owner, args.group);
        let Some(dest) = args.dest else {
            return failed("missing required arguments: dest");
        };
        let bytes = match (args.content, args.src) {
            (Some(_), Some(_)) => return failed("parameters are mutually exclusive: content|src"),
            (Some(Json::String(text)), None) => text.into_bytes(),
            // Ansible writes non-string content as JSON.
            (Some(other), None) => crate::value::python_json(&other).into_bytes(),

            (None, Some(src)) => {
                let path = if args.remote_src == Some(true) {
                    Path::new(&src).to_path_buf()
                } else {
                    context.find_source(&src, "files")
                };
                match std::fs::read(&path) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        return failed(format!("Could not find or access '{src}': {error}"));
                    }
                }
            }
            (None, None) => return failed("src (or content) is required"),
        };
        write_destination(
            context,
            &dest,
            &bytes,
            args.mode.as_deref(),
            args.force != Some(false),
        )
    }
}

/// Writes `bytes` to `dest` when they differ (or the file is missing), honouring check mode,
/// `force: false`, and `mode` (octal string or integer).
pub fn write_destination(
    context: &ModuleContext<'_>,
    dest: &str,
    bytes: &[u8],
    mode: Option<&str>,
    force: bool,
) -> ModuleResult {
    let path = Path::new(dest);
    let path = if path.is_dir() {
        return failed(format!("destination {dest} is a directory"));
    } else {
        path
    };
    let existing = std::fs::read(path).ok();
    let content_changed = match &existing {
        Some(current) => force && current.as_slice() != bytes,
        None => true,
    };
    let mode_bits = match mode.map(parse_mode).transpose() {
        Ok(bits) => bits,
        Err(message) => return failed(message),
    };
    let mode_changed = match (mode_bits, existing.is_some()) {
        (Some(bits), true) => current_mode(path).is_some_and(|current| current != bits),
        _ => false,
    };
    let changed = content_changed || mode_changed;
    let mut result = done(changed);
    result.insert("dest".into(), Json::String(dest.to_string()));
    result.insert("checksum".into(), Json::String(sha1_hex(bytes)));
    result.insert("size".into(), Json::from(bytes.len()));
    let final_mode = mode_bits.or_else(|| current_mode(path)).unwrap_or(0o644);
    result.insert("mode".into(), Json::String(format!("{final_mode:04o}")));
    if context.diff && content_changed {
        result.insert(
            "diff".into(),
            serde_json::json!({
                "before": existing.as_deref().map(String::from_utf8_lossy).unwrap_or_default(),
                "after": String::from_utf8_lossy(bytes),
                "before_header": dest,
                "after_header": dest,
            }),
        );
    }
    if !changed || context.check_mode {
        return result;
    }
    if content_changed {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.exists()
        {
            return failed(format!(
                "Destination directory {} does not exist",
                parent.display()
            ));
        }
        if let Err(error) = atomic_write(path, bytes) {
            return failed(format!("failed to write {dest}: {error}"));
        }
    }
    if let Some(bits) = mode_bits
        && let Err(error) = set_mode(path, bits)
    {
        return failed(format!("failed to set mode of {dest}: {error}"));
    }
    result
}

/// The SHA-1 of the content, which Ansible reports as `checksum`.
pub fn sha1_hex(bytes: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{file_name}.stackbook-tmp"));
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, path)
}

/// `"0644"`, `"644"`, `"u=rw,g=r"` is not supported; integers are decimal mode values (YAML
/// already turned `0644` into 420).
fn parse_mode(text: &str) -> Result<u32, String> {
    let trimmed = text.trim();
    if let Ok(decimal) = trimmed.parse::<u32>()
        && !trimmed.starts_with('0')
        && trimmed.len() > 4
    {
        return Ok(decimal);
    }
    u32::from_str_radix(trimmed.trim_start_matches("0o"), 8)
        .map_err(|_| format!("mode must be an octal number like '0644', got '{text}'"))
}

#[cfg(unix)]
fn current_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(unix)]
fn set_mode(path: &Path, bits: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(bits))
}

#[cfg(not(unix))]
fn current_mode(_path: &Path) -> Option<u32> {
    None
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _bits: u32) -> std::io::Result<()> {
    Ok(())
}
