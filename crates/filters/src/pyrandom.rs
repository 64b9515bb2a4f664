//! Python's `random.Random`, for the `random` and `shuffle` filters.
//!
//! Playbooks use `{{ 59 | random(seed=inventory_hostname) }}` to spread
//! cron jobs or pick a stable member per host. The point of the seed is
//! that the answer never changes, so stackbook must produce exactly the
//! number Python does: a Mersenne Twister (MT19937) seeded the way CPython
//! seeds it (`str` seeds are extended with their SHA-512), and CPython's
//! `randrange`/`choice`/`shuffle` on top of `getrandbits`.

use minijinja::Error;
use minijinja::value::{Kwargs, Value, ValueKind};
use sha2::Digest as _;

use crate::util::{invalid, require_defined, to_vec};

const N: usize = 624;
const M: usize = 397;

/// MT19937 state, as in CPython's `_randommodule.c`.
pub(crate) struct PyRandom {
    mt: [u32; N],
    index: usize,
}

impl PyRandom {
    fn init_genrand(seed: u32) -> Self {
        let mut mt = [0u32; N];
        mt[0] = seed;
        for i in 1..N {
            mt[i] = 1_812_433_253u32
                .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
                .wrapping_add(i as u32);
        }
        PyRandom { mt, index: N }
    }

    fn init_by_array(key: &[u32]) -> Self {
        let mut r = Self::init_genrand(19_650_218);
        let mt = &mut r.mt;
        let (mut i, mut j) = (1usize, 0usize);
        let key_len = key.len().max(1);
        for _ in 0..N.max(key_len) {
            let k = key.get(j).copied().unwrap_or(0);
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(k)
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key_len {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941))
                .wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        r
    }

    /// `random.Random(seed)` for an `int` seed (its absolute value).
    pub(crate) fn from_int(seed: u128) -> Self {
        let mut key = Vec::new();
        let mut n = seed;
        while n > 0 {
            key.push((n & 0xffff_ffff) as u32);
            n >>= 32;
        }
        if key.is_empty() {
            key.push(0);
        }
        Self::init_by_array(&key)
    }

    /// `random.Random(seed)` for a `str` seed (seed version 2).
    pub(crate) fn from_str(seed: &str) -> Self {
        let mut bytes = seed.as_bytes().to_vec();
        bytes.extend_from_slice(&sha2::Sha512::digest(seed.as_bytes()));
        // int.from_bytes(big endian) split into little-endian 32-bit words.
        let mut key: Vec<u32> = bytes
            .rchunks(4)
            .map(|c| c.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
            .collect();
        while key.len() > 1 && key.last() == Some(&0) {
            key.pop();
        }
        Self::init_by_array(&key)
    }

    fn genrand_u32(&mut self) -> u32 {
        if self.index >= N {
            for k in 0..N {
                let y = (self.mt[k] & 0x8000_0000) | (self.mt[(k + 1) % N] & 0x7fff_ffff);
                let mut v = self.mt[(k + M) % N] ^ (y >> 1);
                if y & 1 != 0 {
                    v ^= 0x9908_b0df;
                }
                self.mt[k] = v;
            }
            self.index = 0;
        }
        let mut y = self.mt[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// `getrandbits(k)` for `k <= 128`.
    fn getrandbits(&mut self, k: u32) -> u128 {
        let mut out: u128 = 0;
        let mut remaining = k;
        let mut shift = 0;
        while remaining > 0 {
            let mut r = self.genrand_u32();
            if remaining < 32 {
                r >>= 32 - remaining;
            }
            out |= u128::from(r) << shift;
            shift += 32;
            remaining = remaining.saturating_sub(32);
        }
        out
    }

    /// `_randbelow(n)` for `n > 0`.
    fn randbelow(&mut self, n: u128) -> u128 {
        let k = 128 - n.leading_zeros();
        loop {
            let r = self.getrandbits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `randrange(start, stop, step)`.
    pub(crate) fn randrange(&mut self, start: i64, stop: i64, step: i64) -> Result<i64, Error> {
        let width = i128::from(stop) - i128::from(start);
        let step128 = i128::from(step);
        let n = match step128 {
            1 => width,
            s if s > 0 => (width + s - 1).div_euclid(s),
            s if s < 0 => (width + s + 1).div_euclid(s),
            _ => return Err(invalid("zero step for randrange()")),
        };
        if n <= 0 {
            return Err(invalid(format!(
                "empty range in randrange({start}, {stop}, {step})"
            )));
        }
        let r = self.randbelow(n as u128) as i128;
        i64::try_from(i128::from(start) + step128 * r)
            .map_err(|_| invalid("randrange result out of range"))
    }

    /// `shuffle(list)`.
    pub(crate) fn shuffle(&mut self, items: &mut [Value]) {
        for i in (1..items.len()).rev() {
            let j = self.randbelow(i as u128 + 1) as usize;
            items.swap(i, j);
        }
    }
}

fn seeded(seed: &Value) -> Result<PyRandom, Error> {
    match seed.kind() {
        ValueKind::String => Ok(PyRandom::from_str(seed.as_str().unwrap_or_default())),
        ValueKind::Bool => Ok(PyRandom::from_int(u128::from(seed.is_true()))),
        ValueKind::Number if seed.is_integer() => {
            let n =
                i128::try_from(seed.clone()).map_err(|_| invalid("random: seed out of range"))?;
            Ok(PyRandom::from_int(n.unsigned_abs()))
        }
        _ => Err(invalid(format!(
            "random: unsupported seed type {} (use a string or an integer)",
            crate::repr::python_type_name(seed)
        ))),
    }
}

/// An unseeded generator (Python uses `SystemRandom`; any entropy will do).
fn unseeded() -> PyRandom {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    PyRandom::from_int(u128::from(h.finish()))
}

/// `random(start=None, step=None, seed=None)`: `end | random` picks from
/// `range(start, end, step)`; a list input picks one element.
pub(crate) fn random(
    value: &Value,
    start: Option<i64>,
    step: Option<i64>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    require_defined("random", value)?;
    let start = start.or(kwargs.get("start")?);
    let step = step.or(kwargs.get("step")?);
    let seed: Option<Value> = kwargs.get("seed")?;
    kwargs.assert_all_used()?;
    let mut rng = match seed.filter(|s| !s.is_none()) {
        Some(s) => seeded(&s)?,
        None => unseeded(),
    };
    if value.kind() == ValueKind::Number && value.is_integer() {
        let end = i64::try_from(value.clone())?;
        let start = start.filter(|&s| s != 0).unwrap_or(0);
        let step = step.filter(|&s| s != 0).unwrap_or(1);
        return Ok(Value::from(rng.randrange(start, end, step)?));
    }
    if start.is_some_and(|s| s != 0) || step.is_some_and(|s| s != 0) {
        return Err(invalid(
            "start and step can only be used with integer values",
        ));
    }
    let items = to_vec("random", value)?;
    if items.is_empty() {
        return Err(invalid("Cannot choose from an empty sequence"));
    }
    let idx = rng.randbelow(items.len() as u128) as usize;
    Ok(items.get(idx).cloned().unwrap_or(Value::UNDEFINED))
}

/// `shuffle(seed=None)`.
pub(crate) fn shuffle(value: &Value, kwargs: Kwargs) -> Result<Value, Error> {
    require_defined("shuffle", value)?;
    let seed: Option<Value> = kwargs.get("seed")?;
    kwargs.assert_all_used()?;
    let mut items = to_vec("shuffle", value)?;
    let mut rng = match seed.filter(|s| !s.is_none()) {
        Some(s) => seeded(&s)?,
        None => unseeded(),
    };
    rng.shuffle(&mut items);
    Ok(Value::from(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cpython_mt19937() {
        // random.Random(42).getrandbits(32) twice.
        let mut r = PyRandom::from_int(42);
        assert_eq!(r.genrand_u32(), 2_746_317_213);
        assert_eq!(r.genrand_u32(), 478_163_327);
    }
}
