//! The `AES256` vault cipher (format 1.1/1.2).
//!
//! Key schedule: PBKDF2-HMAC-SHA256(password, 32-byte salt, 10 000 rounds)
//! yields 80 bytes = AES-256 key ‖ HMAC-SHA256 key ‖ 16-byte initial counter.
//! The plaintext is PKCS#7-padded, encrypted with AES-256-CTR (128-bit
//! big-endian counter) and authenticated with HMAC-SHA256 over the
//! ciphertext (encrypt-then-MAC). The inner payload is
//! `hex(salt) \n hex(hmac) \n hex(ciphertext)`, hexlified once more.
//!
//! The MAC is verified (in constant time) before anything is decrypted, so a
//! wrong password or a tampered file yields [`AnsibleVaultError::HmacMismatch`]
//! and never garbage plaintext.

use aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::AnsibleVaultError;
use crate::secret::SecretBytes;

type Aes256Ctr = ctr::Ctr128BE<Aes256>;
type HmacSha256 = Hmac<Sha256>;

/// PBKDF2 rounds fixed by the format.
pub const PBKDF2_ROUNDS: u32 = 10_000;
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;
const SALT_LEN: usize = 32;
const BLOCK: usize = 16;

struct Keys {
    cipher_key: Zeroizing<[u8; KEY_LEN]>,
    mac_key: Zeroizing<[u8; KEY_LEN]>,
    iv: [u8; IV_LEN],
}

fn derive(password: &[u8], salt: &[u8]) -> Keys {
    let mut derived = Zeroizing::new([0u8; 2 * KEY_LEN + IV_LEN]);
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, PBKDF2_ROUNDS, derived.as_mut_slice());
    let mut cipher_key = Zeroizing::new([0u8; KEY_LEN]);
    let mut mac_key = Zeroizing::new([0u8; KEY_LEN]);
    let mut iv = [0u8; IV_LEN];
    cipher_key.copy_from_slice(&derived[..KEY_LEN]);
    mac_key.copy_from_slice(&derived[KEY_LEN..2 * KEY_LEN]);
    iv.copy_from_slice(&derived[2 * KEY_LEN..]);
    Keys {
        cipher_key,
        mac_key,
        iv,
    }
}

fn mac(key: &[u8], data: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail; fall back to an
    // empty-keyed MAC type-wise without panicking.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| <HmacSha256 as Mac>::new(&Default::default()));
    m.update(data);
    m
}

/// Encrypts `plaintext` and returns the hexlified body (without envelope).
/// `salt` is for reproducible tests; `None` draws 32 random bytes.
pub fn encrypt_body(
    plaintext: &[u8],
    password: &[u8],
    salt: Option<&[u8]>,
) -> Result<String, AnsibleVaultError> {
    let salt = match salt {
        Some(s) if !s.is_empty() => s.to_vec(),
        Some(_) => return Err(AnsibleVaultError::Format("empty salt".to_owned())),
        None => {
            let mut s = vec![0u8; SALT_LEN];
            getrandom::getrandom(&mut s).map_err(|e| AnsibleVaultError::Random(e.to_string()))?;
            s
        }
    };
    let keys = derive(password, &salt);
    let pad = BLOCK - plaintext.len() % BLOCK;
    let mut buf = Zeroizing::new(Vec::with_capacity(plaintext.len() + pad));
    buf.extend_from_slice(plaintext);
    buf.extend(std::iter::repeat_n(pad as u8, pad));
    let mut ctr = Aes256Ctr::new((&*keys.cipher_key).into(), (&keys.iv).into());
    ctr.apply_keystream(&mut buf);
    let tag = mac(keys.mac_key.as_ref(), &buf).finalize().into_bytes();
    let inner = format!(
        "{}\n{}\n{}",
        hex::encode(&salt),
        hex::encode(tag),
        hex::encode(buf.as_slice())
    );
    Ok(hex::encode(inner))
}

/// The decoded parts of a body.
struct Parts {
    salt: Vec<u8>,
    tag: Vec<u8>,
    ciphertext: Vec<u8>,
}

/// Splits the hexlified body into salt, MAC and ciphertext.
fn split_body(body_hex: &str) -> Result<Parts, AnsibleVaultError> {
    let inner = hex::decode(body_hex)
        .map_err(|e| AnsibleVaultError::Format(format!("ciphertext is not valid hex: {e}")))?;
    let mut parts = inner.splitn(3, |b| *b == b'\n');
    let (Some(salt), Some(tag), Some(ct)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(AnsibleVaultError::Format(
            "payload does not contain salt, HMAC and ciphertext (truncated?)".to_owned(),
        ));
    };
    let field = |name: &str, hexed: &[u8]| {
        hex::decode(hexed).map_err(|e| AnsibleVaultError::Format(format!("{name} is not hex: {e}")))
    };
    let salt = field("salt", salt)?;
    let tag = field("HMAC", tag)?;
    let ct = field("ciphertext", ct)?;
    if salt.is_empty() {
        return Err(AnsibleVaultError::Format("empty salt".to_owned()));
    }
    if tag.len() != 32 {
        return Err(AnsibleVaultError::Format(format!(
            "HMAC is {} bytes, expected 32",
            tag.len()
        )));
    }
    if ct.is_empty() || ct.len() % BLOCK != 0 {
        return Err(AnsibleVaultError::Format(format!(
            "ciphertext length {} is not a positive multiple of {BLOCK} (truncated?)",
            ct.len()
        )));
    }
    Ok(Parts {
        salt,
        tag,
        ciphertext: ct,
    })
}

/// Checks that a body is well formed without trying a password (used to fail
/// fast, before any password is tried, on truncated or non-vault input).
pub fn validate_body(body_hex: &str) -> Result<(), AnsibleVaultError> {
    split_body(body_hex).map(|_| ())
}

/// Decrypts a hexlified body with one password.
pub fn decrypt_body(body_hex: &str, password: &[u8]) -> Result<SecretBytes, AnsibleVaultError> {
    let Parts {
        salt,
        tag,
        ciphertext: ct,
    } = split_body(body_hex)?;
    let keys = derive(password, &salt);
    let expected = mac(keys.mac_key.as_ref(), &ct).finalize().into_bytes();
    if !bool::from(expected.as_slice().ct_eq(&tag)) {
        return Err(AnsibleVaultError::HmacMismatch);
    }
    let mut buf = Zeroizing::new(ct);
    let mut ctr = Aes256Ctr::new((&*keys.cipher_key).into(), (&keys.iv).into());
    ctr.apply_keystream(&mut buf);
    let pad = usize::from(buf.last().copied().unwrap_or(0));
    let valid_pad = (1..=BLOCK).contains(&pad)
        && buf.len() >= pad
        && buf[buf.len() - pad..]
            .iter()
            .all(|b| usize::from(*b) == pad);
    if !valid_pad {
        return Err(AnsibleVaultError::Format(
            "invalid PKCS#7 padding after a valid HMAC".to_owned(),
        ));
    }
    let keep = buf.len() - pad;
    buf.truncate(keep);
    Ok(SecretBytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_password() {
        for len in [0usize, 1, 15, 16, 17, 100] {
            let pt = vec![b'x'; len];
            let body = encrypt_body(&pt, b"pw", None).unwrap();
            assert_eq!(decrypt_body(&body, b"pw").unwrap().expose(), &pt[..]);
            assert!(matches!(
                decrypt_body(&body, b"nope"),
                Err(AnsibleVaultError::HmacMismatch)
            ));
        }
    }

    #[test]
    fn deterministic_with_salt() {
        let a = encrypt_body(b"hello", b"pw", Some(b"0123456789abcdef0123456789abcdef")).unwrap();
        let b = encrypt_body(b"hello", b"pw", Some(b"0123456789abcdef0123456789abcdef")).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn tampered_and_truncated_bodies_fail_cleanly() {
        let body = encrypt_body(b"top secret value", b"pw", None).unwrap();
        // Flip one hex digit in the ciphertext part (near the end).
        let mut bytes = body.clone().into_bytes();
        let i = bytes.len() - 3;
        bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(decrypt_body(&tampered, b"pw").is_err());
        for cut in [1, 10, body.len() / 2, body.len() - 2] {
            assert!(decrypt_body(&body[..cut], b"pw").is_err(), "cut at {cut}");
        }
    }
}
