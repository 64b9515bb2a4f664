//! `stackbook template`: `helm template` with stackbook's own chart renderer.

use stackbook_helm::TemplateOptions;

use crate::cli::TemplateArgs;

/// Renders the chart to stdout; errors go to stderr with exit code 1.
pub fn run(args: TemplateArgs) -> i32 {
    // Like helm: `template CHART` or `template NAME CHART`.
    let (name, chart) = match &args.chart {
        Some(chart) => (args.name_or_chart.clone(), chart.clone()),
        None => (String::new(), std::path::PathBuf::from(&args.name_or_chart)),
    };
    let options = TemplateOptions {
        chart,
        values_files: args.values.clone(),
        set: args.set.clone(),
        set_string: args.set_string.clone(),
        set_json: args.set_json.clone(),
        name,
        namespace: args.namespace.clone(),
        include_crds: args.include_crds,
        kube_version: args.kube_version.clone(),
        api_versions: args.api_versions.clone(),
        is_upgrade: args.is_upgrade,
    };
    match stackbook_helm::template(&options) {
        Ok(output) => {
            print!("{}", output.text);
            0
        }
        Err(error) => {
            eprintln!("Error: {error}");
            1
        }
    }
}
