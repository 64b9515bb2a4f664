//! Renders errors for people: the message, `Origin: file:line:column`, and the source lines
//! around it with a caret under the column, as ansible-core 2.19 does.

use stackbook_syntax::Location;

/// Formats an error with its source excerpt when the location points into a readable file.
pub fn render(message: &str, location: Option<&Location>) -> String {
    let mut out = format!("[ERROR]: {message}\n");
    let Some(location) = location.filter(|l| l.is_in_file()) else {
        return out;
    };
    out.push_str(&format!("Origin: {location}\n"));
    let Ok(text) = std::fs::read_to_string(&*location.file) else {
        return out;
    };
    let line = location.line as usize;
    let first = line.saturating_sub(2).max(1);
    out.push('\n');
    for (number, content) in text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .skip(first - 1)
        .take(line + 1 - first)
    {
        out.push_str(&format!("{number:>4} {content}\n"));
    }
    let caret_indent = " ".repeat(4 + location.column as usize);
    out.push_str(&format!("{caret_indent}^ column {}\n", location.column));
    out
}
