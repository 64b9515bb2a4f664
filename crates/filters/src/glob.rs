//! Minimal `glob.glob` for the `fileglob` filter and lookup: one directory
//! level, `fnmatch` patterns (`*`, `?`, `[seq]`, `[!seq]`), hidden files
//! only when the pattern starts with a dot, regular files only, sorted
//! (Python's order is the directory's, i.e. unspecified).

use std::path::{Path, PathBuf};

/// `fnmatch.fnmatchcase(name, pattern)`.
pub(crate) fn fnmatch(name: &[char], pattern: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|i| fnmatch(&name[i..], rest)),
        Some(('?', rest)) => !name.is_empty() && fnmatch(&name[1..], rest),
        Some(('[', rest)) => {
            let Some((&c, name_rest)) = name.split_first() else {
                return false;
            };
            let (negate, body) = match rest.first() {
                Some('!') => (true, &rest[1..]),
                _ => (false, rest),
            };
            // A `]` right after `[` or `[!` is a literal member.
            let close = body.iter().skip(1).position(|&x| x == ']').map(|p| p + 1);
            let Some(close) = close else {
                // No closing bracket: `[` is literal.
                return c == '[' && fnmatch(name_rest, rest);
            };
            let set = &body[..close];
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == '-' {
                    hit |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != negate && fnmatch(name_rest, &body[close + 1..])
        }
        Some((&p, rest)) => name.first() == Some(&p) && fnmatch(&name[1..], rest),
    }
}

/// Regular files in `dir` whose names match `pattern`, sorted.
pub(crate) fn glob_files(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let pat: Vec<char> = pattern.chars().collect();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name: Vec<char> = e.file_name().to_string_lossy().chars().collect();
            (pattern.starts_with('.') || name.first() != Some(&'.')) && fnmatch(&name, &pat)
        })
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

/// `glob.glob(pattern)` restricted to regular files, relative to `base`
/// when the pattern is relative.
pub(crate) fn glob_pattern(base: &Path, pattern: &str) -> Vec<PathBuf> {
    let (dir, file) = match pattern.rsplit_once('/') {
        Some(("", f)) => (PathBuf::from("/"), f),
        Some((d, f)) => (base.join(d), f),
        None => (base.to_path_buf(), pattern),
    };
    glob_files(&dir, file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(n: &str, p: &str) -> bool {
        fnmatch(
            &n.chars().collect::<Vec<_>>(),
            &p.chars().collect::<Vec<_>>(),
        )
    }

    #[test]
    fn fnmatch_like_python() {
        assert!(m("a.conf", "*.conf"));
        assert!(!m("a.conf", "*.yml"));
        assert!(m("a1", "a?"));
        assert!(m("b", "[a-c]"));
        assert!(!m("b", "[!a-c]"));
        assert!(m("]", "[]]"));
        assert!(m("[x", "[x"));
        assert!(m("", "*"));
    }
}
