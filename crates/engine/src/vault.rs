//! Vault decryption for the engine: wraps the `stackbook-secrets` keys (age identities and
//! Ansible Vault passwords) behind the loader's [`Decryptor`] seam.

use stackbook_secrets::Keys;
use stackbook_secrets::inline::InlineTag;
use stackbook_syntax::yaml::CustomTag;

use crate::value::Decryptor;

/// Decrypts `!vault`/`!age` values and whole-file vaults with the configured keys.
pub struct VaultKeys {
    keys: Keys,
}

impl VaultKeys {
    /// Wraps loaded keys.
    pub fn new(keys: Keys) -> VaultKeys {
        VaultKeys { keys }
    }
}

impl Decryptor for VaultKeys {
    fn decrypt(&self, tag: CustomTag, payload: &str) -> Result<String, String> {
        let tag = match tag {
            CustomTag::Vault => InlineTag::Vault,
            CustomTag::Age => InlineTag::Age,
            CustomTag::Unsafe => return Ok(payload.to_string()),
        };
        self.keys
            .decrypt_tagged(tag, payload)
            .map(|plaintext| plaintext.expose().to_string())
            .map_err(|error| error.to_string())
    }

    fn decrypt_file(&self, text: &str) -> Option<Result<String, String>> {
        self.keys.decrypt_file_text(text).map(|result| {
            result
                .map(|plaintext| plaintext.expose().to_string())
                .map_err(|error| error.to_string())
        })
    }
}
