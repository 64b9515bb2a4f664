//! Python's `str()` and `repr()` of values.
//!
//! Ansible is written in Python, so whenever a non-string value lands inside a string
//! (`"count: {{ [1, 2] }}"`, a `debug` message) users see Python's rendering: `True`, `None`,
//! `['a', 'b']`, `{'k': 1}`. The implementation lives with the filters (which need it for
//! `string`, `to_yaml` and friends); it is re-exported here because every stringification in
//! the engine goes through the templating layer.

pub use stackbook_filters::{
    float_repr as python_float, python_repr, python_str, python_type_name,
};
