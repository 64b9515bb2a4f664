//! A content-addressed chart cache.
//!
//! Why: re-runs must not download again and air-gapped runs must work from
//! what an earlier run fetched. Blobs are stored by their sha256
//! (`blobs/sha256/<hex>`, verified on read); a reference such as
//! `oci://host/repo:5.8.2` maps to a digest through `refs/<sha256 of the
//! reference>` (a small text file: digest, then the reference). Writes go
//! through a temporary file and a rename, so concurrent runs never see a
//! torn blob.

use std::path::{Path, PathBuf};

use super::{SourceError, sha256_digest};

/// The cache root.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// A cache rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// `$XDG_CACHE_HOME/stackbook/charts`, else `~/.cache/stackbook/charts`.
    pub fn default_root() -> PathBuf {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(|| std::env::temp_dir().join("stackbook-cache"));
        base.join("stackbook").join("charts")
    }

    /// The cache directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, digest: &str) -> Option<PathBuf> {
        let hex = digest.strip_prefix("sha256:")?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(
            self.root
                .join("blobs")
                .join("sha256")
                .join(hex.to_ascii_lowercase()),
        )
    }

    fn ref_path(&self, reference: &str) -> PathBuf {
        let d = sha256_digest(reference.as_bytes());
        self.root.join("refs").join(&d[7..])
    }

    /// The blob with `digest`, if cached and intact (a corrupt blob is removed).
    pub fn get_blob(&self, digest: &str) -> Option<Vec<u8>> {
        let path = self.blob_path(digest)?;
        let data = std::fs::read(&path).ok()?;
        if sha256_digest(&data) == digest.to_ascii_lowercase() {
            Some(data)
        } else {
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    /// Stores `data`; returns its digest.
    pub fn put_blob(&self, data: &[u8]) -> Result<String, SourceError> {
        let digest = sha256_digest(data);
        if let Some(path) = self.blob_path(&digest)
            && !path.exists()
        {
            write_atomic(&path, data)?;
        }
        Ok(digest)
    }

    /// The digest recorded for `reference`.
    pub fn get_ref(&self, reference: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.ref_path(reference)).ok()?;
        let mut lines = text.lines();
        let digest = lines.next()?.trim().to_string();
        (lines.next() == Some(reference)).then_some(digest)
    }

    /// Records `reference` → `digest`.
    pub fn put_ref(&self, reference: &str, digest: &str) -> Result<(), SourceError> {
        write_atomic(
            &self.ref_path(reference),
            format!("{digest}\n{reference}\n").as_bytes(),
        )
    }

    /// The blob a reference points at, if both are cached.
    pub fn lookup(&self, reference: &str) -> Option<(String, Vec<u8>)> {
        let digest = self.get_ref(reference)?;
        let data = self.get_blob(&digest)?;
        Some((digest, data))
    }
}

fn write_atomic(path: &Path, data: &[u8]) -> Result<(), SourceError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SourceError::Io { path, source }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data).map_err(io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_verifies() {
        let dir = std::env::temp_dir().join(format!("sb-helm-cache-{}", std::process::id()));
        let c = Cache::new(&dir);
        assert!(c.lookup("oci://h/r:1").is_none());
        let d = c.put_blob(b"chart").unwrap();
        c.put_ref("oci://h/r:1", &d).unwrap();
        assert_eq!(
            c.lookup("oci://h/r:1").unwrap(),
            (d.clone(), b"chart".to_vec())
        );
        // Corruption is detected and the blob dropped.
        std::fs::write(c.blob_path(&d).unwrap(), b"evil").unwrap();
        assert!(c.lookup("oci://h/r:1").is_none());
        assert!(!c.blob_path(&d).unwrap().exists());
        assert!(c.get_blob("sha256:../../etc").is_none());
        std::fs::remove_dir_all(&dir).ok();
    }
}
