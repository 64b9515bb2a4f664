//! Random identifiers: object UIDs, `generateName` suffixes and generated passwords.

use ring::rand::{SecureRandom, SystemRandom};

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // SystemRandom only fails if the OS RNG is unavailable; fall back to a time-derived fill
    // rather than panicking, since these values are identifiers in a test double.
    if SystemRandom::new().fill(&mut buf).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (nanos >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(31);
        }
    }
    buf
}

/// A random RFC 4122 version-4 UUID, as kube-apiserver assigns to `metadata.uid`.
pub fn uid() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Picks `n` characters from `alphabet` uniformly enough for test identifiers.
fn pick(alphabet: &[u8], n: usize) -> String {
    let bytes = random_bytes::<64>();
    bytes
        .iter()
        .take(n)
        .map(|b| {
            let idx = usize::from(*b) % alphabet.len().max(1);
            alphabet.get(idx).copied().map(char::from).unwrap_or('x')
        })
        .collect()
}

/// The 5-character suffix kube-apiserver appends to `generateName`.
pub fn name_suffix() -> String {
    pick(b"bcdfghjklmnpqrstvwxz2456789", 5)
}

/// A password like the operators generate (alphanumeric, `n` <= 64 characters).
pub fn password(n: usize) -> String {
    pick(
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        n.min(64),
    )
}
