//! Sprig math and conversion functions. Integer math returns `int64` as
//! Sprig does; the `*f` variants work on `float64`.

use super::args::{to_f64, to_i64, want_str};
use crate::gotmpl::FuncMap;
use crate::value::Value;

/// Registers math and conversion functions.
pub fn register(m: &mut FuncMap) {
    m.add_variadic("add", 0, |a| {
        Ok(Value::Int64(
            a.iter().map(to_i64).fold(0i64, i64::wrapping_add),
        ))
    });
    m.add("add1", 1, |a| {
        Ok(Value::Int64(to_i64(&a[0]).wrapping_add(1)))
    });
    m.add("sub", 2, |a| {
        Ok(Value::Int64(to_i64(&a[0]).wrapping_sub(to_i64(&a[1]))))
    });
    m.add_variadic("mul", 1, |a| {
        Ok(Value::Int64(
            a.iter().map(to_i64).fold(1i64, i64::wrapping_mul),
        ))
    });
    m.add("div", 2, |a| {
        let d = to_i64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::Int64(to_i64(&a[0]).wrapping_div(d)))
    });
    m.add("mod", 2, |a| {
        let d = to_i64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::Int64(to_i64(&a[0]).wrapping_rem(d)))
    });
    m.add_variadic("max", 1, |a| {
        Ok(Value::Int64(a.iter().map(to_i64).max().unwrap_or(0)))
    });
    m.add_variadic("biggest", 1, |a| {
        Ok(Value::Int64(a.iter().map(to_i64).max().unwrap_or(0)))
    });
    m.add_variadic("min", 1, |a| {
        Ok(Value::Int64(a.iter().map(to_i64).min().unwrap_or(0)))
    });
    m.add_variadic("addf", 0, |a| Ok(Value::Float(a.iter().map(to_f64).sum())));
    m.add("add1f", 1, |a| Ok(Value::Float(to_f64(&a[0]) + 1.0)));
    m.add_variadic("subf", 1, |a| {
        Ok(Value::Float(
            a[1..].iter().map(to_f64).fold(to_f64(&a[0]), |x, y| x - y),
        ))
    });
    m.add_variadic("mulf", 1, |a| {
        Ok(Value::Float(a.iter().map(to_f64).product()))
    });
    m.add_variadic("divf", 1, |a| {
        Ok(Value::Float(
            a[1..].iter().map(to_f64).fold(to_f64(&a[0]), |x, y| x / y),
        ))
    });
    m.add_variadic("maxf", 1, |a| {
        Ok(Value::Float(
            a.iter().map(to_f64).fold(f64::NEG_INFINITY, f64::max),
        ))
    });
    m.add_variadic("minf", 1, |a| {
        Ok(Value::Float(
            a.iter().map(to_f64).fold(f64::INFINITY, f64::min),
        ))
    });
    m.add("floor", 1, |a| Ok(Value::Float(to_f64(&a[0]).floor())));
    m.add("ceil", 1, |a| Ok(Value::Float(to_f64(&a[0]).ceil())));
    m.add_range("round", 2, 3, |a| {
        let x = to_f64(&a[0]);
        let p = to_i64(&a[1]) as i32;
        let r = a.get(2).map(to_f64).unwrap_or(0.5);
        let pow = 10f64.powi(p);
        let digit = pow * x;
        let (int, frac) = (digit.trunc(), digit.fract());
        let rounded = if frac.abs() >= r {
            int + frac.signum()
        } else {
            int
        };
        Ok(Value::Float(rounded / pow))
    });
    m.add("int", 1, |a| Ok(Value::Int(to_i64(&a[0]))));
    m.add("int64", 1, |a| Ok(Value::Int64(to_i64(&a[0]))));
    m.add("float64", 1, |a| Ok(Value::Float(to_f64(&a[0]))));
    m.add("toDecimal", 1, |a| {
        let s = super::args::strval(&a[0]);
        Ok(Value::Int64(i64::from_str_radix(&s, 8).unwrap_or(0)))
    });
    m.add("atoi", 1, |a| {
        Ok(Value::Int(want_str(&a[0])?.parse::<i64>().unwrap_or(0)))
    });
}
