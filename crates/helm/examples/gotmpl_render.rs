//! Renders one template-corpus input (`values JSON`, `---`, template) as
//! the only template of a throwaway chart and prints the output, for
//! comparing with `tests/gotmpl-goldens/` by hand.

use stackbook_helm::chart::{ChartFile, from_files};
use stackbook_helm::render::{Capabilities, ReleaseOptions, render_files};
use stackbook_helm::value::Value;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: gotmpl_render INPUT.txt");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (ctx, tpl) = text.split_once("\n---\n").unwrap_or(("", &text));
    let vals = serde_json::from_str(ctx)
        .map(|j| Value::from_json(&j))
        .unwrap_or_else(|_| Value::empty_map());
    let files = vec![
        ChartFile {
            name: "Chart.yaml".into(),
            data: b"apiVersion: v2\nname: gotmpl\nversion: 0.1.0\nappVersion: 1.2.3\n"
                .to_vec()
                .into(),
        },
        ChartFile {
            name: "templates/out.txt".into(),
            data: tpl.as_bytes().to_vec().into(),
        },
    ];
    let Ok(chart) = from_files(files, "gotmpl") else {
        return;
    };
    let rel = ReleaseOptions {
        name: "rel".into(),
        namespace: "ns".into(),
        ..ReleaseOptions::default()
    };
    match render_files(&chart, &vals, &rel, &Capabilities::default()) {
        Ok(r) => print!(
            "{}",
            r.files
                .get("gotmpl/templates/out.txt")
                .cloned()
                .unwrap_or_default()
        ),
        Err(e) => print!("!!!ERROR!!!\n{e}"),
    }
}
