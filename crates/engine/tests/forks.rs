//! `--forks`: hosts run a task concurrently, yet the events are exactly those of a run with
//! one fork (inventory order, same results, same recap).

use std::path::PathBuf;

use stackbook_engine::RunOptions;
use stackbook_engine::event::{CollectingSink, Event};
use stackbook_engine::exec::{RunContext, run_playbook};
use stackbook_engine::inventory::Inventory;
use stackbook_engine::load::load_playbook;
use stackbook_engine::modules::Registry;
use stackbook_engine::output::redact::Redactor;
use stackbook_template::Templar;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("stackbook-forks-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `playbook` on hosts `h01..hN` and returns the serialized events and the exit code.
fn run(scratch: &Scratch, playbook: &str, hosts: usize, forks: usize) -> (Vec<String>, i32) {
    let path = scratch.0.join("site.yml");
    std::fs::write(&path, playbook).expect("playbook written");
    let registry = Registry::builtin();
    let loaded = load_playbook(&path, &registry).unwrap_or_else(|e| panic!("load: {e}"));
    let list: Vec<String> = (1..=hosts).map(|i| format!("h{i:02}")).collect();
    let inventory =
        Inventory::load(&[format!("{},", list.join(","))]).unwrap_or_else(|e| panic!("{e}"));
    let options = RunOptions {
        forks,
        ..RunOptions::default()
    };
    let mut sink = CollectingSink::default();
    let mut context = RunContext {
        registry: &registry,
        templar: Templar::default(),
        options: &options,
        inventory,
        sink: &mut sink,
        redactor: std::sync::Arc::new(Redactor::new()),
        decryptor: None,
    };
    let code = run_playbook(&loaded, &mut context).unwrap_or_else(|e| panic!("run: {e}"));
    let events = sink
        .events
        .iter()
        .filter(|e| !matches!(e, Event::PlaybookStart { .. }))
        .map(|e| {
            let mut json = serde_json::to_value(e).expect("event serializes");
            drop_timings(&mut json);
            json.to_string()
        })
        .collect();
    (events, code as i32)
}

/// Removes the command module's timestamps, which differ between any two runs.
fn drop_timings(json: &mut serde_json::Value) {
    match json {
        serde_json::Value::Object(map) => {
            for key in ["start", "end", "delta"] {
                map.remove(key);
            }
            map.values_mut().for_each(drop_timings);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_timings),
        _ => {}
    }
}

const MIXED: &str = r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: register per host
      command: echo "{{ inventory_hostname }}"
      register: said
      changed_when: false
    - name: facts per host
      set_fact:
        mine: "{{ said.stdout }}-{{ inventory_hostname[-1] }}"
    - name: another host's fact (set by the previous task on every host)
      debug:
        msg: "{{ hostvars['h01']['mine'] }} {{ hostvars[inventory_hostname]['mine'] }}"
    - name: loop with facts set per item
      set_fact:
        acc: "{{ (acc | default([])) + [item] }}"
      loop: [1, 2, 3]
    - name: run once for all
      set_fact:
        shared: "{{ ansible_play_hosts | length }}"
      run_once: true
    - name: notify from some hosts
      command: /bin/true
      notify: handler
      when: inventory_hostname[-1] in '37'
    - name: some hosts fail
      fail:
        msg: "{{ inventory_hostname }} breaks"
      when: inventory_hostname[-1] == '5'
    - name: the others go on
      debug:
        msg: "{{ acc }} {{ shared }} {{ ansible_play_hosts | length }}"
  handlers:
    - name: handler
      debug:
        msg: "handled on {{ inventory_hostname }}"
"#;

#[test]
fn many_forks_give_the_events_of_one_fork() {
    let scratch = Scratch::new("same-events");
    let (one, one_code) = run(&scratch, MIXED, 24, 1);
    let (many, many_code) = run(&scratch, MIXED, 24, 8);
    assert_eq!(one_code, many_code);
    assert_eq!(one_code, 2, "h05 and h15 fail");
    assert!(one.len() > 24 * 8, "every host has results: {}", one.len());
    for (index, (a, b)) in one.iter().zip(&many).enumerate() {
        assert_eq!(a, b, "event {index} differs");
    }
    assert_eq!(one.len(), many.len());
    // Facts of one task are visible to every host in the next one.
    assert!(
        many.iter()
            .any(|e| e.contains(r#""msg":"h01-1 h24-4""#) && e.contains(r#""host":"h24""#)),
        "{many:#?}"
    );
}

#[test]
fn hosts_of_a_task_run_at_the_same_time() {
    // Each host waits until all four have started the task: this passes only when the four
    // hosts run concurrently (one after the other, each would time out and fail).
    let scratch = Scratch::new("concurrent");
    let barrier = scratch.0.join("barrier");
    std::fs::create_dir_all(&barrier).expect("barrier dir");
    let playbook = format!(
        r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: meet
      shell: >-
        touch {dir}/{{{{ inventory_hostname }}}};
        for i in $(seq 100); do [ "$(ls {dir} | wc -l)" -ge 4 ] && exit 0; sleep 0.1; done;
        exit 1
"#,
        dir = barrier.display()
    );
    let (events, code) = run(&scratch, &playbook, 4, 4);
    assert_eq!(code, 0, "{events:#?}");
    let results = events.iter().filter(|e| e.contains("host_result")).count();
    assert_eq!(results, 4);
}
