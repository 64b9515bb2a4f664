//! `stackbook play PLAYBOOK`: load, validate, run, print, and map the outcome to an exit code.

use std::io::IsTerminal;

use minijinja::Value;
use stackbook_engine::event::EventSink;
use stackbook_engine::exec::{RunContext, run_playbook};
use stackbook_engine::inventory::{Inventory, VarsDirLevel};
use stackbook_engine::load::load_playbook;
use stackbook_engine::output::human::HumanPrinter;
use stackbook_engine::output::json::JsonPrinter;
use stackbook_engine::output::report::{ReportSink, Tee};
use stackbook_engine::{EngineError, ExitCode, RunOptions};
use stackbook_syntax::playbook::TaskItem;
use stackbook_syntax::{NodeValue, load_documents};
use stackbook_template::Templar;

use crate::cli::{OutputFormat, PlayArgs};
use crate::diagnostic;

/// Runs the subcommand.
pub fn run(args: PlayArgs) -> i32 {
    match execute(&args) {
        Ok(code) => code as i32,
        Err(error) => {
            // A fatal error can quote a templated value: mask it like every other sink.
            eprint!(
                "{}",
                crate::logging::redact(&diagnostic::render(&error.to_string(), error.location()))
            );
            error.exit_code() as i32
        }
    }
}

fn execute(args: &PlayArgs) -> Result<ExitCode, EngineError> {
    if args.connection != "local" {
        return Err(EngineError::Usage(format!(
            "connection '{}' is not supported yet; stackbook runs tasks locally (connection: local)",
            args.connection
        )));
    }
    let options = RunOptions {
        check: args.check,
        diff: args.diff,
        tags: args.tags.clone(),
        skip_tags: args.skip_tags.clone(),
        limit: args.limit.clone(),
        start_at_task: args.start_at_task.clone(),
        verbosity: args.verbose,
        forks: args.forks,
        force_handlers: args.force_handlers,
        extra_vars: parse_extra_vars(&args.extra_vars)?,
        inventories: args.inventory.clone(),
        roles_path: args.roles_path.clone(),
    };
    let registry = super::registry();
    if !args.playbook.is_file() {
        return Err(EngineError::Usage(format!(
            "the playbook: {} could not be found",
            args.playbook.display()
        )));
    }
    let loaded = load_playbook(&args.playbook, &registry)?;
    if args.syntax_check {
        println!("\nplaybook: {}", args.playbook.display());
        return Ok(ExitCode::Ok);
    }
    if args.list_tasks || args.list_tags {
        list(&loaded.playbook, args);
        return Ok(ExitCode::Ok);
    }
    let mut inventory = Inventory::load(&options.inventories)?;
    let (keys, configured) =
        crate::secrets::load_keys(&args.secrets).map_err(EngineError::Fatal)?;
    let decryptor: Option<std::sync::Arc<dyn stackbook_engine::value::Decryptor>> =
        configured.then(|| std::sync::Arc::new(stackbook_engine::vault::VaultKeys::new(keys)) as _);
    let mut secrets = Vec::new();
    for dir in inventory.source_dirs.clone() {
        inventory.vars_dirs.load(
            &dir,
            VarsDirLevel::Inventory,
            decryptor.as_deref(),
            &mut secrets,
        )?;
    }
    inventory.vars_dirs.load(
        &loaded.dir,
        VarsDirLevel::Playbook,
        decryptor.as_deref(),
        &mut secrets,
    )?;
    let redactor = crate::logging::redactor();
    for secret in &secrets {
        stackbook_engine::output::redact::register_secret(&redactor, secret);
    }
    let stdout = std::io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut sink: Box<dyn EventSink> = match args.output {
        OutputFormat::Human => Box::new(HumanPrinter::new(
            stdout.lock(),
            redactor.clone(),
            color,
            args.verbose,
        )),
        OutputFormat::Json => Box::new(JsonPrinter::new(stdout.lock(), redactor.clone())),
    };
    let mut report = match &args.report {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(|e| {
                EngineError::Usage(format!("cannot write the report {}: {e}", path.display()))
            })?;
            Some(ReportSink::new(
                std::io::BufWriter::new(file),
                redactor.clone(),
            ))
        }
        None => None,
    };
    let mut sinks: Vec<&mut dyn EventSink> = vec![sink.as_mut()];
    if let Some(report) = report.as_mut() {
        sinks.push(report);
    }
    let mut tee = Tee::new(sinks);
    let mut context = RunContext {
        registry: &registry,
        templar: Templar::default(),
        options: &options,
        inventory,
        sink: &mut tee,
        redactor,
        decryptor,
    };
    run_playbook(&loaded, &mut context)
}

/// `-e k=v`, `-e '{"k": 1}'`, `-e @vars.yml`: later sources win.
fn parse_extra_vars(sources: &[String]) -> Result<Vec<(String, Value)>, EngineError> {
    let mut vars = Vec::new();
    for source in sources {
        let (text, display) = if let Some(path) = source.strip_prefix('@') {
            let text = std::fs::read_to_string(path)
                .map_err(|e| EngineError::Usage(format!("extra vars file {path}: {e}")))?;
            (text, path.to_string())
        } else if source.trim_start().starts_with('{') || source.trim_start().starts_with("---") {
            (source.clone(), "<extra vars>".to_string())
        } else {
            // key=value pairs arrive as strings, exactly as in Ansible.
            let pairs = stackbook_syntax::kv::parse_kv(source);
            if pairs.iter().all(|(key, _)| key.is_none()) {
                return Err(EngineError::Usage(format!(
                    "invalid extra vars '{source}': expected key=value, JSON, YAML or @file"
                )));
            }
            // Like Ansible, words without '=' are dropped ("name=my db" sets name to "my").
            for (key, value) in pairs {
                if let Some(key) = key {
                    vars.push((key, Value::from(value)));
                }
            }

            continue;
        };
        let documents = load_documents(&text, &display)?;
        let Some(document) = documents.first() else {
            continue;
        };
        match &document.value {
            NodeValue::Mapping(entries) => {
                for (key, value) in entries {
                    let value =
                        stackbook_engine::value::node_to_value(value, None, &mut Vec::new())?;
                    vars.push((key.scalar_text().unwrap_or_default(), value));
                }
            }
            NodeValue::Null => {}
            _ => {
                return Err(EngineError::Usage(format!(
                    "extra vars from {display} must be a mapping"
                )));
            }
        }
    }
    Ok(vars)
}

fn list(playbook: &stackbook_syntax::playbook::Playbook, args: &PlayArgs) {
    println!("\nplaybook: {}", args.playbook.display());
    for play in &playbook.plays {
        let name = play.name.clone().unwrap_or_default();
        let hosts = play.hosts.scalar_text().unwrap_or_default();
        println!(
            "\n  play #{} ({hosts}): {name}\tTAGS: [{}]",
            1,
            play.keywords.tags.join(",")
        );
        let mut all_tags: Vec<String> = play.keywords.tags.clone();
        if args.list_tasks {
            println!("    tasks:");
        }
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            walk(section, &play.keywords.tags, &mut |task_name, tags| {
                if args.list_tasks {
                    println!("      {task_name}\tTAGS: [{}]", tags.join(", "));
                }
                for tag in tags {
                    if !all_tags.contains(tag) {
                        all_tags.push(tag.clone());
                    }
                }
            });
        }
        if args.list_tags {
            all_tags.sort();
            println!("      TASK TAGS: [{}]", all_tags.join(", "));
        }
    }
}

fn walk(items: &[TaskItem], inherited: &[String], visit: &mut dyn FnMut(&str, &[String])) {
    for item in items {
        match item {
            TaskItem::Task(task) => {
                let mut tags = inherited.to_vec();
                tags.extend(task.keywords.tags.iter().cloned());
                visit(task.name.as_deref().unwrap_or(&task.action), &tags);
            }
            TaskItem::Block(block) => {
                let mut tags = inherited.to_vec();
                tags.extend(block.keywords.tags.iter().cloned());
                for section in [&block.block, &block.rescue, &block.always] {
                    walk(section, &tags, visit);
                }
            }
        }
    }
}
