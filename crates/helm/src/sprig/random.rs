//! Random generators (`randAlphaNum`, `uuidv4`, ...). Charts use these for
//! generated passwords, so values come from the operating system's CSPRNG;
//! tests can switch to a deterministic xorshift stream with
//! [`set_random_seed`].

use std::sync::atomic::{AtomicU64, Ordering};

use super::args::{to_i64, want_int};
use crate::gotmpl::FuncMap;
use crate::value::Value;

static STATE: AtomicU64 = AtomicU64::new(0);

/// Fixes the random seed (deterministic output for tests).
pub fn set_random_seed(seed: u64) {
    STATE.store(seed | 1, Ordering::SeqCst);
}

fn next() -> u64 {
    let mut x = STATE.load(Ordering::SeqCst);
    if x == 0 {
        // Not seeded: OS randomness.
        let mut b = [0u8; 8];
        if getrandom::getrandom(&mut b).is_ok() {
            return u64::from_le_bytes(b);
        }
        x = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1;
    }
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    STATE.store(x, Ordering::SeqCst);
    x
}

fn rand_from(n: i64, alphabet: &[u8]) -> Value {
    let s: String = (0..n.max(0))
        .map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char)
        .collect();
    Value::from(s)
}

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// Registers the random family.
pub fn register(m: &mut FuncMap) {
    m.add("randAlphaNum", 1, |a| {
        Ok(rand_from(want_int(&a[0])?, ALNUM))
    });
    m.add("randAlpha", 1, |a| {
        Ok(rand_from(want_int(&a[0])?, &ALNUM[..52]))
    });
    m.add("randNumeric", 1, |a| {
        Ok(rand_from(want_int(&a[0])?, &ALNUM[52..]))
    });
    m.add("randAscii", 1, |a| {
        let printable: Vec<u8> = (32u8..127).collect();
        Ok(rand_from(want_int(&a[0])?, &printable))
    });
    m.add("randInt", 2, |a| {
        let (lo, hi) = (to_i64(&a[0]), to_i64(&a[1]));
        if hi <= lo {
            return Err("invalid argument to Intn".into());
        }
        Ok(Value::Int(lo + (next() % (hi - lo) as u64) as i64))
    });
    m.add("randBytes", 1, |a| {
        let n = want_int(&a[0])?.max(0);
        let bytes: Vec<u8> = (0..n).map(|_| next() as u8).collect();
        use base64::Engine as _;
        Ok(Value::from(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ))
    });
    m.add("shuffle", 1, |a| {
        let mut chars: Vec<char> = super::args::want_str(&a[0])?.chars().collect();
        for i in (1..chars.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            chars.swap(i, j);
        }
        Ok(Value::from(chars.into_iter().collect::<String>()))
    });
    m.add("uuidv4", 0, |_| {
        let (a, b) = (next(), next());
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&a.to_be_bytes());
        bytes[8..].copy_from_slice(&b.to_be_bytes());
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let h: String = bytes.iter().map(|x| format!("{x:02x}")).collect();
        Ok(Value::from(format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )))
    });
}
