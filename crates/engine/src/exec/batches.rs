//! `serial` batches and `max_fail_percentage`, as ansible-core computes them.
//!
//! A play with `serial` runs start to end (facts, sections, handlers) on one batch of hosts
//! before the next batch starts; a list of sizes gives the first batches, its last entry
//! repeats. Sizes are host counts or percentages of the play's hosts (rounded down, at least
//! one host), like ansible-core's `pct_to_int`.

use std::sync::Arc;

use minijinja::Value;
use minijinja::value::ValueKind;
use stackbook_syntax::Node;
use stackbook_template::{Scope, Templar};

use crate::error::EngineError;
use crate::value::node_to_value;

/// One `serial` entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum BatchSize {
    /// A host count; zero or less means "all remaining hosts".
    Count(i64),
    /// A percentage of the play's hosts.
    Percent(f64),
}

impl BatchSize {
    /// The number of hosts for a play of `total` hosts (`None`: all that remain).
    fn hosts(self, total: usize) -> Option<usize> {
        match self {
            BatchSize::Count(count) if count <= 0 => None,
            BatchSize::Count(count) => Some(usize::try_from(count).unwrap_or(usize::MAX)),
            BatchSize::Percent(percent) => {
                // int((pct / 100.0) * n) or 1
                let share = (percent / 100.0 * total as f64).trunc();
                if share >= 1.0 {
                    Some(share as usize)
                } else if share <= -1.0 {
                    None
                } else {
                    Some(1)
                }
            }
        }
    }
}

/// The play's `serial` sizes (empty: one batch of all hosts).
pub(super) fn serial(
    node: Option<&Node>,
    templar: &Templar,
    scope: &Arc<Scope>,
) -> Result<Vec<BatchSize>, EngineError> {
    let Some(node) = node else {
        return Ok(Vec::new());
    };
    let value = render(node, templar, scope, "serial")?;
    let entries: Vec<Value> = match value.kind() {
        ValueKind::Seq => value.try_iter().map(Iterator::collect).unwrap_or_default(),
        ValueKind::None | ValueKind::Undefined => Vec::new(),
        _ => vec![value],
    };
    entries
        .iter()
        .map(|entry| batch_size(entry).ok_or_else(|| invalid(node, "serial", entry)))
        .collect()
}

fn batch_size(value: &Value) -> Option<BatchSize> {
    if let Some(text) = value.as_str() {
        let text = text.trim();
        return match text.strip_suffix('%') {
            Some(percent) => percent
                .trim()
                .parse::<i64>()
                .ok()
                .map(|p| BatchSize::Percent(p as f64)),
            None => text.parse::<i64>().ok().map(BatchSize::Count),
        };
    }
    match value.kind() {
        ValueKind::Number => i64::try_from(value.clone())
            .ok()
            .or_else(|| f64::try_from(value.clone()).ok().map(|f| f.trunc() as i64))
            .map(BatchSize::Count),
        _ => None,
    }
}

/// Splits the play's hosts into batches (ansible-core's `_get_serialized_batches`).
pub(super) fn split(hosts: &[String], sizes: &[BatchSize]) -> Vec<Vec<String>> {
    let mut batches = Vec::new();
    let mut rest = hosts;
    let mut index = 0;
    while !rest.is_empty() {
        let size = sizes
            .get(index)
            .or(sizes.last())
            .and_then(|size| size.hosts(hosts.len()));
        let take = size.map_or(rest.len(), |n| n.min(rest.len()));
        let (batch, remaining) = rest.split_at(take);
        batches.push(batch.to_vec());
        rest = remaining;
        index += 1;
    }
    batches
}

/// The play's `max_fail_percentage` (a number from 0 to 100).
pub(super) fn max_fail_percentage(
    node: Option<&Node>,
    templar: &Templar,
    scope: &Arc<Scope>,
) -> Result<Option<f64>, EngineError> {
    let Some(node) = node else {
        return Ok(None);
    };
    let value = render(node, templar, scope, "max_fail_percentage")?;
    if value.is_none() || value.is_undefined() {
        return Ok(None);
    }
    let number = match value.as_str() {
        Some(text) => text.trim().parse::<f64>().ok(),
        None => f64::try_from(value.clone()).ok(),
    };
    number
        .map(Some)
        .ok_or_else(|| invalid(node, "max_fail_percentage", &value))
}

fn render(
    node: &Node,
    templar: &Templar,
    scope: &Arc<Scope>,
    keyword: &str,
) -> Result<Value, EngineError> {
    let raw = node_to_value(node, None, &mut Vec::new())?;
    templar
        .render_value(&raw, scope)
        .map_err(|error| EngineError::invalid(&node.location, format!("{keyword}: {error}")))
}

fn invalid(node: &Node, keyword: &str, value: &Value) -> EngineError {
    EngineError::invalid(
        &node.location,
        format!(
            "'{keyword}' must be a number of hosts or a percentage like \"30%\", got {}",
            stackbook_template::python::python_repr(value)
        ),
    )
}

impl super::Runtime<'_> {
    /// More hosts of the batch failed than `max_fail_percentage` allows (checked after each
    /// task, against the batch's size like ansible-core's linear strategy).
    pub(super) fn max_fail_exceeded(&self) -> bool {
        let Some(percentage) = self.play.max_fail_percentage else {
            return false;
        };
        let failed = self
            .play
            .hosts
            .iter()
            .filter(|h| self.hosts.get(*h).is_some_and(|s| s.failed))
            .count();
        self.play.batch_size > 0 && failed as f64 / self.play.batch_size as f64 > percentage / 100.0
    }

    /// Fails every host of the batch (they are not counted as failed in the recap, as in
    /// ansible-core) and stops the playbook.
    pub(super) fn fail_batch(&mut self) {
        for host in self.play.hosts.clone() {
            self.host(&host).failed = true;
        }
        self.aborted = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("h{i}")).collect()
    }

    fn lengths(batches: &[Vec<String>]) -> Vec<usize> {
        batches.iter().map(Vec::len).collect()
    }

    #[test]
    fn no_serial_is_one_batch() {
        assert_eq!(lengths(&split(&hosts(5), &[])), vec![5]);
    }

    #[test]
    fn counts_and_last_entry_repeats() {
        let sizes = [BatchSize::Count(1), BatchSize::Count(2)];
        assert_eq!(lengths(&split(&hosts(6), &sizes)), vec![1, 2, 2, 1]);
        assert_eq!(lengths(&split(&hosts(3), &[BatchSize::Count(0)])), vec![3]);
    }

    #[test]
    fn percentages_round_down_with_at_least_one_host() {
        // int(0.3 * 4) == 1, int(0.5 * 4) == 2, int(0.1 * 4) == 0 -> 1
        assert_eq!(
            lengths(&split(&hosts(4), &[BatchSize::Percent(30.0)])),
            vec![1, 1, 1, 1]
        );
        assert_eq!(
            lengths(&split(&hosts(4), &[BatchSize::Percent(50.0)])),
            vec![2, 2]
        );
        assert_eq!(
            lengths(&split(&hosts(4), &[BatchSize::Percent(10.0)])),
            vec![1, 1, 1, 1]
        );
        let mixed = [BatchSize::Count(1), BatchSize::Percent(50.0)];
        assert_eq!(lengths(&split(&hosts(5), &mixed)), vec![1, 2, 2]);
    }

    #[test]
    fn entries_parse_like_ansible() {
        assert_eq!(
            batch_size(&Value::from("30%")),
            Some(BatchSize::Percent(30.0))
        );
        assert_eq!(batch_size(&Value::from(" 2 ")), Some(BatchSize::Count(2)));
        assert_eq!(batch_size(&Value::from(3)), Some(BatchSize::Count(3)));
        assert_eq!(batch_size(&Value::from("many")), None);
    }
}
