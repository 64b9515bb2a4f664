//! "did you mean" suggestions for unknown names (keywords, modules, arguments).

/// Returns the candidate closest to `unknown` when it is close enough to be a plausible typo.
pub fn suggest<'a>(
    unknown: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let unknown_lower = unknown.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = levenshtein(&unknown_lower, &candidate.to_ascii_lowercase());
        let limit = (candidate.len().max(unknown.len()) / 3).max(1);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Formats an optional suggestion as a message suffix: `; did you mean 'when'?`.
pub fn hint<'a>(unknown: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match suggest(unknown, candidates) {
        Some(candidate) => format!("; did you mean '{candidate}'?"),
        None => String::new(),
    }
}

/// Optimal-string-alignment distance: Levenshtein plus adjacent transpositions, which are the
/// most common typing slip (`whne` for `when`).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut table = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        table[i * width] = i;
    }
    for (j, cell) in table.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (table[(i - 1) * width + j] + 1)
                .min(table[i * width + j - 1] + 1)
                .min(table[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(table[(i - 2) * width + j - 2] + 1);
            }
            table[i * width + j] = best;
        }
    }
    table[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keyword() {
        assert_eq!(suggest("whn", ["when", "name", "loop"]), Some("when"));
        assert_eq!(
            suggest("regster", ["register", "retries"]),
            Some("register")
        );
    }

    #[test]
    fn does_not_suggest_unrelated_names() {
        assert_eq!(suggest("frobnicate", ["when", "name", "loop"]), None);
    }
}
