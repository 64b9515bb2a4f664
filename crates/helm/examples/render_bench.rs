//! Renders a chart repeatedly and prints the mean time per render and the
//! peak resident memory, for comparison with Helm's SDK (`bench/run.sh`).
//!
//! Usage: `render_bench CHART_DIR [ITERATIONS]`

use std::time::Instant;

use stackbook_helm::render::{Capabilities, ReleaseOptions, render_chart};
use stackbook_helm::value::Value;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: render_bench CHART_DIR [ITERATIONS]");
        std::process::exit(2);
    };
    let iterations: u32 = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
    let start = Instant::now();
    let mut docs = 0;
    for _ in 0..iterations {
        // Load + render each time, as one `helm template` invocation does.
        let chart = match stackbook_helm::load_chart(&dir) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        match render_chart(
            &chart,
            &Value::empty_map(),
            &ReleaseOptions::default(),
            &Capabilities::default(),
        ) {
            Ok(r) => docs = r.manifests.len(),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
    let per = start.elapsed().as_secs_f64() * 1000.0 / f64::from(iterations);
    println!(
        "stackbook {dir}: {per:.3} ms/render ({docs} documents), peak RSS {} KiB",
        peak_rss_kib()
    );
}
