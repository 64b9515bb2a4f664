//! Data format filters: JSON, YAML, base64 and hashing.

pub(crate) mod json;
pub(crate) mod yaml_emit;
pub mod yaml_load;

use base64::Engine as _;
use minijinja::Error;
use minijinja::value::{Kwargs, Value};

use crate::util::{invalid, require_defined, text_of};

fn yaml_opts(
    kwargs: &Kwargs,
    indent: Option<usize>,
    flow: Option<bool>,
) -> Result<yaml_emit::DumpOptions, Error> {
    let indent = match indent {
        Some(i) => Some(i),
        None => kwargs.get::<Option<usize>>("indent")?,
    };
    let flow = if kwargs.has("default_flow_style") {
        kwargs.get::<Option<bool>>("default_flow_style")?
    } else {
        flow
    };
    let width: Option<usize> = kwargs.get("width")?;
    let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
    // allow_unicode=True is what Ansible passes; accept it explicitly.
    let _: Option<bool> = kwargs.get("allow_unicode")?;
    kwargs.assert_all_used()?;
    Ok(yaml_emit::DumpOptions {
        indent: indent.unwrap_or(2),
        default_flow_style: flow,
        width: width.unwrap_or(80),
        sort_keys: sort_keys.unwrap_or(true),
    })
}

/// `to_yaml`: PyYAML's terse dump (flow style for leaf collections).
pub(crate) fn to_yaml(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    require_defined("to_yaml", value)?;
    let opts = yaml_opts(&kwargs, None, None)?;
    yaml_emit::dump(value, opts)
}

/// `to_nice_yaml(indent=4)`: block style throughout.
pub(crate) fn to_nice_yaml(
    value: &Value,
    indent: Option<usize>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    require_defined("to_nice_yaml", value)?;
    let mut opts = yaml_opts(&kwargs, indent, Some(false))?;
    if indent.is_none() && !kwargs.has("indent") {
        opts.indent = 4;
    }
    yaml_emit::dump(value, opts)
}

/// `from_yaml`.
pub(crate) fn from_yaml(value: &Value) -> Result<Value, Error> {
    require_defined("from_yaml", value)?;
    match value.as_str() {
        Some(s) => yaml_load::from_yaml(s),
        None => Ok(value.clone()),
    }
}

/// `from_yaml_all`.
pub(crate) fn from_yaml_all(value: &Value) -> Result<Value, Error> {
    require_defined("from_yaml_all", value)?;
    match value.as_str() {
        Some(s) => yaml_load::from_yaml_all(s),
        None => Ok(value.clone()),
    }
}

/// `to_json`.
pub(crate) fn to_json(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    json::to_json(value, kwargs)
}

/// `to_nice_json`.
pub(crate) fn to_nice_json(
    value: &Value,
    indent: Option<usize>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    json::to_nice_json(value, indent, kwargs)
}

/// `from_json`.
pub(crate) fn from_json(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    require_defined("from_json", value)?;
    let _: Option<String> = kwargs.get("profile")?;
    kwargs.assert_all_used()?;
    match value.as_str() {
        Some(s) => json::from_json(s),
        None => Err(crate::util::type_error("from_json", "a string", value)),
    }
}

fn b64_engine(urlsafe: bool) -> base64::engine::GeneralPurpose {
    if urlsafe {
        base64::engine::general_purpose::URL_SAFE
    } else {
        base64::engine::general_purpose::STANDARD
    }
}

/// `b64encode(encoding='utf-8', urlsafe=False)`.
pub(crate) fn b64encode(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    require_defined("b64encode", value)?;
    let urlsafe = kwargs.get::<Option<bool>>("urlsafe")?.unwrap_or(false);
    check_encoding(&kwargs)?;
    kwargs.assert_all_used()?;
    Ok(b64_engine(urlsafe).encode(text_of(value)))
}

/// `b64decode(encoding='utf-8', urlsafe=False)`: the decoded bytes must be UTF-8.
pub(crate) fn b64decode(value: &Value, kwargs: Kwargs) -> Result<String, Error> {
    require_defined("b64decode", value)?;
    let urlsafe = kwargs.get::<Option<bool>>("urlsafe")?.unwrap_or(false);
    check_encoding(&kwargs)?;
    kwargs.assert_all_used()?;
    let text = text_of(value);
    // Python's b64decode (validate=False) discards characters outside the
    // alphabet, then insists on correct padding.
    let (c62, c63) = if urlsafe { ('-', '_') } else { ('+', '/') };
    let cleaned: String = text
        .chars()
        .filter(|&c| c.is_ascii_alphanumeric() || c == c62 || c == c63 || c == '=')
        .collect();
    let bytes = b64_engine(urlsafe)
        .decode(cleaned.as_bytes())
        .map_err(|e| invalid(format!("b64decode: input is not valid base64: {e}")))?;
    String::from_utf8(bytes).map_err(|_| invalid("b64decode: decoded bytes are not valid UTF-8"))
}

fn check_encoding(kwargs: &Kwargs) -> Result<(), Error> {
    match kwargs.get::<Option<String>>("encoding")?.as_deref() {
        None | Some("utf-8" | "utf8" | "UTF-8") => Ok(()),
        Some(other) => Err(invalid(format!(
            "unsupported encoding {other:?}: only utf-8 is supported"
        ))),
    }
}

/// `hash(hashtype='sha1')`: hex digest of the UTF-8 text.
pub(crate) fn hash(
    value: &Value,
    hashtype: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    require_defined("hash", value)?;
    let hashtype = hashtype.or(kwargs.get("hashtype")?);
    kwargs.assert_all_used()?;
    digest_hex(
        hashtype.as_deref().unwrap_or("sha1"),
        text_of(value).as_bytes(),
    )
}

/// `checksum`/`sha1` filters.
pub(crate) fn sha1(value: &Value) -> Result<String, Error> {
    require_defined("sha1", value)?;
    digest_hex("sha1", text_of(value).as_bytes())
}

/// `md5` filter.
pub(crate) fn md5(value: &Value) -> Result<String, Error> {
    require_defined("md5", value)?;
    digest_hex("md5", text_of(value).as_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex digest with one of the algorithms Python's `hashlib.new` knows.
pub(crate) fn digest_hex(algorithm: &str, data: &[u8]) -> Result<String, Error> {
    use sha2::Digest as _;
    Ok(match algorithm {
        "md5" => hex(&md5::Md5::digest(data)),
        "sha1" => hex(&sha1::Sha1::digest(data)),
        "sha224" => hex(&sha2::Sha224::digest(data)),
        "sha256" => hex(&sha2::Sha256::digest(data)),
        "sha384" => hex(&sha2::Sha384::digest(data)),
        "sha512" => hex(&sha2::Sha512::digest(data)),
        other => {
            return Err(invalid(format!(
                "unsupported hash type {other:?} (expected md5, sha1, sha224, sha256, sha384 or sha512)"
            )));
        }
    })
}
