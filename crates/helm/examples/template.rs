//! `helm template`-like command line for trying the engine by hand:
//! `template CHART [-f values.yaml]... [--set k=v]... [--name N] [--namespace NS] [--include-crds]`

fn main() {
    let mut opts = stackbook_helm::TemplateOptions::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-f" | "--values" => opts.values_files.extend(args.next().map(Into::into)),
            "--set" => opts.set.extend(args.next()),
            "--set-string" => opts.set_string.extend(args.next()),
            "--set-json" => opts.set_json.extend(args.next()),
            "--name" => opts.name = args.next().unwrap_or_default(),
            "--namespace" | "-n" => opts.namespace = args.next().unwrap_or_default(),
            "--include-crds" => opts.include_crds = true,
            "--kube-version" => opts.kube_version = args.next().unwrap_or_default(),
            other => opts.chart = other.into(),
        }
    }
    match stackbook_helm::template(&opts) {
        Ok(out) => {
            print!("{}", out.text);
            for p in &out.rendered.unused_values {
                eprintln!("warning: value {p:?} is not read by any template of the chart");
            }
        }
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(1);
        }
    }
}
