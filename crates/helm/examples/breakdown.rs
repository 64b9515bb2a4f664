//! Times the stages of rendering a chart (load, render_files, render_chart).
use std::time::Instant;

use stackbook_helm::render::{Capabilities, ReleaseOptions, render_chart, render_files};
use stackbook_helm::value::Value;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: breakdown CHART_DIR");
        std::process::exit(2);
    };
    let n = 50;
    let time = |label: &str, f: &mut dyn FnMut()| {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        println!(
            "{label} {:.3} ms",
            t.elapsed().as_secs_f64() * 1000.0 / f64::from(n)
        );
    };
    let Ok(c) = stackbook_helm::load_chart(&dir) else {
        return;
    };
    let (rel, caps, vals) = (
        ReleaseOptions::default(),
        Capabilities::default(),
        Value::empty_map(),
    );
    time("load", &mut || drop(stackbook_helm::load_chart(&dir)));
    time("spawn", &mut || {
        let _ = stackbook_helm::gotmpl::on_big_stack(|| 1);
    });
    time("crds", &mut || drop(c.crd_objects()));
    time("render_files", &mut || {
        drop(render_files(&c, &vals, &rel, &caps))
    });
    time("render_chart", &mut || {
        drop(render_chart(&c, &vals, &rel, &caps))
    });
}
