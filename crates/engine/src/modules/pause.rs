//! `pause`: wait a number of seconds or minutes (prompts are refused without a terminal).

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value as Json;

use super::{Module, ModuleContext, ModuleResult, args, done, failed, parse_args};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PauseArgs {
    #[serde(default, deserialize_with = "args::float_opt")]
    seconds: Option<f64>,
    #[serde(default, deserialize_with = "args::float_opt")]
    minutes: Option<f64>,
    prompt: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    echo: Option<bool>,
}

/// The `pause` module.
pub struct Pause;

impl Module for Pause {
    fn docs(&self) -> Option<crate::modules::docs::DocSource> {
        Some(crate::module_docs!("pause"))
    }

    fn run(&self, _context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let args: PauseArgs = match parse_args("ansible.builtin.pause", args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let _ = args.echo;
        let seconds = args.seconds.unwrap_or(0.0) + args.minutes.unwrap_or(0.0) * 60.0;
        if args.seconds.is_none() && args.minutes.is_none() {
            return failed(format!(
                "pause without seconds/minutes waits for a key press, which needs a terminal; \
                 give 'seconds' instead (prompt: {:?})",
                args.prompt.unwrap_or_default()
            ));
        }
        if !(0.0..=86_400.0).contains(&seconds) {
            return failed(format!(
                "pause duration must be between 0 and 86400 seconds, got {seconds}"
            ));
        }
        let start = Instant::now();
        let started_at = timestamp();
        std::thread::sleep(Duration::from_secs_f64(seconds));
        let mut result = done(false);
        result.insert("delta".into(), Json::from(start.elapsed().as_secs()));
        result.insert("rc".into(), Json::from(0));
        result.insert("start".into(), Json::String(started_at));
        result.insert("stop".into(), Json::String(timestamp()));
        result.insert("stderr".into(), Json::String(String::new()));
        result.insert("echo".into(), Json::Bool(true));
        result.insert(
            "stdout".into(),
            Json::String(format!("Paused for {} seconds", trim_float(seconds))),
        );
        result.insert("user_input".into(), Json::String(String::new()));
        result
    }
}

fn timestamp() -> String {
    crate::clock::timestamp(std::time::SystemTime::now())
}

fn trim_float(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}
