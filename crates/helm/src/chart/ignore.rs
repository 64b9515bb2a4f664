//! `.helmignore` rules (Helm's `pkg/ignore`): gitignore-like lines matched
//! with Go's `filepath.Match`; patterns without `/` match the base name,
//! `dir/` matches directories only, `!` negates. `templates/.?*` is always
//! ignored.

/// One parsed rule.
#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    negate: bool,
    dir_only: bool,
    anchored: bool,
}

/// A set of ignore rules.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    /// Parses `.helmignore` content and adds Helm's defaults.
    pub fn parse(content: &str) -> Rules {
        let mut r = Rules::default();
        r.add("templates/.?*");
        for line in content.lines() {
            r.add(line);
        }
        r
    }

    fn add(&mut self, line: &str) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        if line == "!" {
            return;
        }
        let (negate, p) = match line.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let (dir_only, p) = match p.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, p),
        };
        let p = p.strip_prefix('/').unwrap_or(p);
        self.rules.push(Rule {
            pattern: p.to_string(),
            negate,
            dir_only,
            anchored: p.contains('/'),
        });
    }

    /// True when `path` (relative, `/`-separated) is ignored.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        let base = path.rsplit('/').next().unwrap_or(path);
        let mut matched = false;
        for r in &self.rules {
            if r.dir_only && !is_dir {
                continue;
            }
            let hit = if r.anchored {
                glob_match(&r.pattern, path)
            } else {
                glob_match(&r.pattern, base)
            };
            if r.negate {
                if hit {
                    return false;
                }
            } else if hit {
                matched = true;
            }
        }
        matched
    }
}

/// Go's `filepath.Match` (`*` and `?` do not cross `/`, `[...]` classes).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

fn match_from(p: &[char], n: &[char]) -> bool {
    let Some((&c, rest)) = p.split_first() else {
        return n.is_empty();
    };
    match c {
        '*' => {
            for i in 0..=n.len() {
                if i > 0 && n[i - 1] == '/' {
                    break;
                }
                if match_from(rest, &n[i..]) {
                    return true;
                }
            }
            false
        }
        '?' => !n.is_empty() && n[0] != '/' && match_from(rest, &n[1..]),
        '[' => {
            let Some(end) = rest.iter().position(|&x| x == ']') else {
                return false;
            };
            let Some(&ch) = n.first() else { return false };
            let class = &rest[..end];
            let (neg, class) = match class.first() {
                Some('^') | Some('!') => (true, &class[1..]),
                _ => (false, class),
            };
            let mut ok = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == '-' {
                    if class[i] <= ch && ch <= class[i + 2] {
                        ok = true;
                    }
                    i += 3;
                } else {
                    if class[i] == ch {
                        ok = true;
                    }
                    i += 1;
                }
            }
            ok != neg && match_from(&rest[end + 1..], &n[1..])
        }
        '\\' => match rest.split_first() {
            Some((&lit, rest2)) => n.first() == Some(&lit) && match_from(rest2, &n[1..]),
            None => false,
        },
        lit => n.first() == Some(&lit) && match_from(rest, &n[1..]),
    }
}

/// gobwas/glob with `/` as separator (used by `.Files.Glob`): `*` stays
/// within a path segment, `**` crosses segments, `{a,b}` alternatives.
pub fn files_glob_match(pattern: &str, name: &str) -> bool {
    if let Some(open) = pattern.find('{')
        && let Some(close) = pattern[open..].find('}').map(|c| c + open)
    {
        let (pre, alts, post) = (
            &pattern[..open],
            &pattern[open + 1..close],
            &pattern[close + 1..],
        );
        return alts
            .split(',')
            .any(|a| files_glob_match(&format!("{pre}{a}{post}"), name));
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    gob(&p, &n)
}

fn gob(p: &[char], n: &[char]) -> bool {
    if p.len() >= 2 && p[0] == '*' && p[1] == '*' {
        let rest = &p[2..];
        return (0..=n.len()).any(|i| gob(rest, &n[i..]));
    }
    match p.first() {
        Some('*') => {
            for i in 0..=n.len() {
                if i > 0 && n[i - 1] == '/' {
                    break;
                }
                if gob(&p[1..], &n[i..]) {
                    return true;
                }
            }
            false
        }
        _ => match_from_single(p, n),
    }
}

fn match_from_single(p: &[char], n: &[char]) -> bool {
    let Some((&c, rest)) = p.split_first() else {
        return n.is_empty();
    };
    match c {
        '?' => !n.is_empty() && n[0] != '/' && gob(rest, &n[1..]),
        '*' => gob(p, n),
        lit => n.first() == Some(&lit) && gob(rest, &n[1..]),
    }
}
