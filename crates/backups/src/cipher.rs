//! Decryption of pgBackRest `aes-256-cbc` repository files.
//!
//! pgBackRest (`src/common/crypto/cipherBlock.c`) writes the OpenSSL `enc` format: the 8-byte
//! magic `Salted__`, an 8-byte random salt, then AES-256-CBC ciphertext with PKCS#7 padding.
//! Key and IV come from `EVP_BytesToKey(aes-256-cbc, SHA-1, salt, passphrase, count = 1)`; the
//! passphrase bytes are used verbatim (for info files the repository's `repo1-cipher-pass`, for
//! manifests and WAL the base64-looking `cipher-pass` strings stored in the info files).
//! This was confirmed against the real fixture: `openssl enc -d -aes-256-cbc -md sha1` decrypts
//! its files, and this module reproduces that without OpenSSL.
//!
//! A wrong passphrase almost always produces invalid padding ([`CipherError::BadDecrypt`]); the
//! rare garbage that happens to end in valid padding is caught one layer up by the info file's
//! `backrest-checksum`.

use aes::Aes256;
use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::secret::Secret;

/// The magic prefix of an OpenSSL/pgBackRest encrypted file.
pub const SALTED_MAGIC: &[u8; 8] = b"Salted__";
const SALT_LEN: usize = 8;
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;
const BLOCK_LEN: usize = 16;

/// Why a file could not be decrypted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CipherError {
    /// The file does not start with `Salted__` and so is not a pgBackRest encrypted file.
    #[error(
        "not encrypted: missing the 'Salted__' header expected for repo cipher-type aes-256-cbc"
    )]
    NotEncrypted,
    /// The file is shorter than header + salt + one block, or not a whole number of blocks.
    #[error(
        "truncated ciphertext: {len} bytes is not 16 bytes of header and salt plus whole 16-byte blocks"
    )]
    Truncated {
        /// Total length of the file.
        len: usize,
    },
    /// Padding was invalid after decryption: almost always a wrong passphrase.
    #[error(
        "bad decrypt: the padding is invalid, so the passphrase is wrong or the file is corrupt"
    )]
    BadDecrypt,
}

/// True when `data` starts with the `Salted__` magic.
pub fn is_encrypted(data: &[u8]) -> bool {
    data.starts_with(SALTED_MAGIC)
}

/// Decrypt a pgBackRest `aes-256-cbc` file with `pass`.
pub fn decrypt(data: &[u8], pass: &Secret) -> Result<Vec<u8>, CipherError> {
    let rest = data
        .strip_prefix(SALTED_MAGIC.as_slice())
        .ok_or(CipherError::NotEncrypted)?;
    let (salt, body) = rest
        .split_at_checked(SALT_LEN)
        .ok_or(CipherError::Truncated { len: data.len() })?;
    if body.is_empty() || body.len() % BLOCK_LEN != 0 {
        return Err(CipherError::Truncated { len: data.len() });
    }
    let (key, iv) = evp_bytes_to_key_sha1(pass.expose().as_bytes(), salt);
    let decryptor = cbc::Decryptor::<Aes256>::new(key.as_slice().into(), iv.as_slice().into());
    decryptor
        .decrypt_padded_vec_mut::<Pkcs7>(body)
        .map_err(|_| CipherError::BadDecrypt)
}

/// OpenSSL's `EVP_BytesToKey` with SHA-1 and one iteration, producing a 32-byte key and 16-byte IV:
/// `D_i = SHA1(D_{i-1} || pass || salt)`, concatenated until 48 bytes are available.
fn evp_bytes_to_key_sha1(
    pass: &[u8],
    salt: &[u8],
) -> (Zeroizing<[u8; KEY_LEN]>, Zeroizing<[u8; IV_LEN]>) {
    let mut material = Zeroizing::new(Vec::with_capacity(KEY_LEN + IV_LEN + 20));
    let mut prev: Option<Zeroizing<Vec<u8>>> = None;
    while material.len() < KEY_LEN + IV_LEN {
        let mut h = Sha1::new();
        if let Some(p) = &prev {
            h.update(p.as_slice());
        }
        h.update(pass);
        h.update(salt);
        let d = Zeroizing::new(h.finalize().to_vec());
        material.extend_from_slice(&d);
        prev = Some(d);
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    let mut iv = Zeroizing::new([0u8; IV_LEN]);
    key.copy_from_slice(&material[..KEY_LEN]);
    iv.copy_from_slice(&material[KEY_LEN..KEY_LEN + IV_LEN]);
    (key, iv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_plaintext_and_truncation() {
        let p = Secret::new("x");
        assert_eq!(decrypt(b"[backrest]\n", &p), Err(CipherError::NotEncrypted));
        assert_eq!(
            decrypt(b"Salted__1234", &p),
            Err(CipherError::Truncated { len: 12 })
        );
        assert_eq!(
            decrypt(b"Salted__12345678", &p),
            Err(CipherError::Truncated { len: 16 })
        );
        let mut odd = b"Salted__12345678".to_vec();
        odd.extend_from_slice(&[0u8; 17]);
        assert_eq!(decrypt(&odd, &p), Err(CipherError::Truncated { len: 33 }));
    }

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -md sha1 -pass pass:password -S 0102030405060708 -P`
        let (key, iv) = evp_bytes_to_key_sha1(b"password", &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            hex::encode(key.as_slice()),
            "37ebd7b0dda7cbc993a9de9962e1dc2551ef134d19e96e7ce1fa3eadb854dcb5"
        );
        assert_eq!(
            hex::encode(iv.as_slice()),
            "04bc65de80fed6862403ff9fbb0c2f43"
        );
    }
}
