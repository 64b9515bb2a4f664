//! AWS Signature Version 4, just enough for one JSON-protocol request.
//!
//! Why hand-written: the AWS SDK would bring its own HTTP and TLS stacks (aws-lc) and a runtime
//! for one `GetSecretValue` call. The algorithm is small and fully specified; the unit tests pin
//! it to AWS's published examples and to botocore (see `scripts/sigv4-vectors.py`).
//!
//! Reference: <https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html>.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use url::Url;

use crate::sensitive::Sensitive;

type HmacSha256 = Hmac<Sha256>;

/// The credentials and scope a request is signed for.
#[derive(Debug, Clone)]
pub struct SigningParams<'a> {
    pub access_key: &'a Sensitive,
    pub secret_key: &'a Sensitive,
    pub session_token: Option<&'a Sensitive>,
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDDTHHMMSSZ`, see [`amz_date`].
    pub amz_date: &'a str,
}

/// Computes the `Authorization` header for a request whose headers are `headers` (all of which
/// are signed; they must include `host` and `x-amz-date`, and `x-amz-security-token` when a
/// session token is used).
pub fn authorization(
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    payload: &[u8],
    params: &SigningParams<'_>,
) -> String {
    let (canonical, signed_headers) = canonical_request(method, url, headers, &hex_sha256(payload));
    let date = params.amz_date.get(..8).unwrap_or(params.amz_date);
    let scope = format!("{date}/{}/{}/aws4_request", params.region, params.service);
    let to_sign = string_to_sign(params.amz_date, &scope, &canonical);
    let key = signing_key(params.secret_key, date, params.region, params.service);
    let signature = hex(&hmac(&key, to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        params.access_key.expose()
    )
}

/// The canonical request and the `SignedHeaders` list.
pub fn canonical_request(
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    payload_hash: &str,
) -> (String, String) {
    // Non-S3 services: each path segment is URI-encoded again (the URL holds it encoded once).
    let path = if url.path().is_empty() {
        "/"
    } else {
        url.path()
    };
    let canonical_uri = uri_encode(path, false);

    let mut query: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (uri_encode(&k, true), uri_encode(&v, true)))
        .collect();
    query.sort();
    let canonical_query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");

    let mut canon_headers: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        match canon_headers.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            None => canon_headers.push((name, value)),
        }
    }
    canon_headers.sort();
    let header_block: String = canon_headers
        .iter()
        .map(|(n, v)| format!("{n}:{v}\n"))
        .collect();
    let signed_headers = canon_headers
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "{method}\n{canonical_uri}\n{canonical_query}\n{header_block}\n{signed_headers}\n{payload_hash}"
    );
    (canonical, signed_headers)
}

/// `AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256 of the canonical request>`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex_sha256(canonical_request.as_bytes())
    )
}

/// The derived key `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &Sensitive, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(
        format!("AWS4{}", secret.expose()).as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The current time as `YYYYMMDDTHHMMSSZ`.
pub fn amz_date_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    amz_date(secs)
}

/// Seconds since the Unix epoch as `YYYYMMDDTHHMMSSZ` (UTC).
pub fn amz_date(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let rem = unix_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// AWS's URI encoding: everything but `A-Za-z0-9-_.~` (and `/` unless `encode_slash`).
pub fn uri_encode(input: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(input.len());
    for b in input.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Lower-case hex SHA-256.
pub fn hex_sha256(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    match HmacSha256::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn signature_of(auth: &str) -> &str {
        auth.rsplit("Signature=").next().unwrap_or("")
    }

    /// The IAM `ListUsers` example from the AWS General Reference ("Signature Version 4 signing
    /// process", tasks 1-4).
    #[test]
    fn aws_docs_iam_list_users_example() -> Result<(), url::ParseError> {
        let url = Url::parse("https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")?;
        let headers = vec![
            (
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
            ("Host".to_string(), "iam.amazonaws.com".to_string()),
            ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
        ];
        let (canonical, signed) = canonical_request("GET", &url, &headers, &hex_sha256(b""));
        assert_eq!(signed, "content-type;host;x-amz-date");
        assert_eq!(
            hex_sha256(canonical.as_bytes()),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let access = Sensitive::new("AKIDEXAMPLE");
        let secret = Sensitive::new(SECRET);
        let params = SigningParams {
            access_key: &access,
            secret_key: &secret,
            session_token: None,
            region: "us-east-1",
            service: "iam",
            amz_date: "20150830T123600Z",
        };
        let auth = authorization("GET", &url, &headers, b"", &params);
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
        Ok(())
    }

    /// The signing-key derivation example of the same document (20150830, us-east-1, iam).
    #[test]
    fn aws_docs_signing_key_example() {
        let key = signing_key(&Sensitive::new(SECRET), "20150830", "us-east-1", "iam");
        assert_eq!(
            hex(&key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    /// `get-vanilla` from the AWS SigV4 test suite.
    #[test]
    fn test_suite_get_vanilla() -> Result<(), url::ParseError> {
        let url = Url::parse("https://example.amazonaws.com/")?;
        let headers = vec![
            ("Host".to_string(), "example.amazonaws.com".to_string()),
            ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
        ];
        let access = Sensitive::new("AKIDEXAMPLE");
        let secret = Sensitive::new(SECRET);
        let params = SigningParams {
            access_key: &access,
            secret_key: &secret,
            session_token: None,
            region: "us-east-1",
            service: "service",
            amz_date: "20150830T123600Z",
        };
        let auth = authorization("GET", &url, &headers, b"", &params);
        assert_eq!(
            signature_of(&auth),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        Ok(())
    }

    #[test]
    fn dates_format_in_utc() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(951_782_400), "20000229T000000Z");
        assert_eq!(amz_date(4_102_444_799), "20991231T235959Z");
    }

    #[test]
    fn uri_encoding_follows_aws_rules() {
        assert_eq!(uri_encode("a b/c~d+e", true), "a%20b%2Fc~d%2Be");
        assert_eq!(uri_encode("/x y/", false), "/x%20y/");
    }

    #[test]
    fn debug_of_params_redacts_keys() {
        let access = Sensitive::new("AKIDCANARY");
        let secret = Sensitive::new("SECRETCANARY");
        let params = SigningParams {
            access_key: &access,
            secret_key: &secret,
            session_token: None,
            region: "r",
            service: "s",
            amz_date: "20150830T123600Z",
        };
        let debug = format!("{params:?}");
        assert!(!debug.contains("CANARY"), "{debug}");
    }
}
