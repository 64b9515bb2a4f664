//! Recognising archived WAL segments the way pgBackRest does.
//!
//! `pgbackrest info` derives "wal archive min/max" by listing
//! `archive/<stanza>/<pg-version>-<db-id>/`: sub-directories named by 16 hex digits (timeline +
//! log id), files named `<24 hex segment>-<40 hex sha1>[.gz|.bz2|.lz4|.zst|.xz]`
//! (`WAL_SEGMENT_DIR_REGEXP`, `WAL_SEGMENT_FILE_REGEXP` in `src/command/archive/common.h`).
//! `.backup` labels, `.history` files and `.partial` segments do not count.

/// Compression extensions pgBackRest may append (`COMPRESS_TYPE_REGEXP`).
const COMPRESS_EXTS: [&str; 5] = [".gz", ".bz2", ".lz4", ".zst", ".xz"];

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

fn upper_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
}

fn lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// The archive id pgBackRest uses for a database: `"<version>-<db id>"`, e.g. `15-1`.
pub fn archive_id(version: &str, db_id: u32) -> String {
    format!("{version}-{db_id}")
}

/// True for a WAL directory name (16 upper-case hex digits).
pub fn is_wal_dir(name: &str) -> bool {
    name.len() == 16 && all(name, upper_hex)
}

/// The 24-character segment name when `file_name` is an archived WAL segment.
pub fn segment_of(file_name: &str) -> Option<&str> {
    let base = COMPRESS_EXTS
        .iter()
        .find_map(|ext| file_name.strip_suffix(ext))
        .unwrap_or(file_name);
    if base.len() != 24 + 1 + 40 {
        return None;
    }
    let (seg, rest) = base.split_at_checked(24)?;
    let sha = rest.strip_prefix('-')?;
    (all(seg, upper_hex) && all(sha, lower_hex)).then_some(seg)
}

/// The last path component of an object key or prefix (trailing `/` ignored).
pub fn last_component(key: &str) -> &str {
    let k = key.strip_suffix('/').unwrap_or(key);
    k.rsplit('/').next().unwrap_or(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_segments_like_pgbackrest() {
        let sha = "3fdf9df24d0efc8128bc862a382f08f91def7880";
        assert_eq!(
            segment_of(&format!("000000010000000000000001-{sha}.gz")),
            Some("000000010000000000000001")
        );
        assert_eq!(
            segment_of(&format!("000000010000000000000001-{sha}")),
            Some("000000010000000000000001")
        );
        assert_eq!(segment_of("000000010000000000000002.00000028.backup"), None);
        assert_eq!(segment_of("00000002.history"), None);
        assert_eq!(
            segment_of(&format!("000000010000000000000001-{sha}.gz.tmp")),
            None
        );
        assert_eq!(
            segment_of(&format!("00000001000000000000000a-{sha}.gz")),
            None
        );
        assert_eq!(
            segment_of(&format!("000000010000000000000001.partial-{sha}")),
            None
        );
        assert!(is_wal_dir("0000000100000000"));
        assert!(!is_wal_dir("000000010000000"));
        assert!(!is_wal_dir("archive.info"));
        assert_eq!(last_component("a/b/0000000100000000/"), "0000000100000000");
        assert_eq!(last_component("x"), "x");
    }
}
