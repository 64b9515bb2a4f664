# -*- coding: utf-8 -*-
"""Ansible callback plugin: the *oracle* side of stackbook's conformance corpus.

It writes one JSON object per line to the file named by the environment variable
STACKBOOK_EVENTS_FILE, in the same event schema that `stackbook play --output json`
emits, so that stackbook's events can be compared with real ansible-core's.

Results are normalised so that the goldens are byte-stable and machine-independent:
  * noise keys are removed from each result and loop-item result (DROP_KEYS), and keys
    starting with `_ansible` at every depth (DROP_PREFIXES);
  * a `stat` dict keeps only exists/isdir/isreg/mode/size;
  * a directory's `stat.size` is dropped (filesystem-specific);
  * gather_facts/setup results keep no facts (they are machine-specific);
  * pause's "Paused for N seconds" stdout becomes "Paused for <duration> seconds";
  * absolute paths of the out_dir and the playbook dir become `<out_dir>` and `<playbook_dir>`.
Keys are sorted and separators are compact, so the same events give the same bytes.
"""

from __future__ import annotations

import json
import os
import re

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: stackbook_events
type: notification
short_description: write stackbook JSON events (one per line) for the conformance corpus
description:
  - Writes play/task/result/recap events to the file named by STACKBOOK_EVENTS_FILE.
requirements:
  - enable via ANSIBLE_CALLBACKS_ENABLED=stackbook_events
"""

# Keys removed from a module result and from each entry of its `results` list (timing,
# transport or machine-specific noise). Deeper user data is left alone, except that keys
# starting with `_ansible` are removed at every depth.
DROP_KEYS = frozenset({
    "invocation", "start", "end", "delta", "stop", "diff",
    "exception", "warnings", "deprecations",
    "failed_when_suppressed_exception",  # 2.19: "(traceback unavailable)" placeholder
    "uid", "gid", "owner", "group", "secontext",
    "src",  # copy/template upload temp file on the controller
})
DROP_PREFIXES = ("_ansible",)
STAT_KEEP = ("exists", "isdir", "isreg", "mode", "size")
FACT_ACTIONS = frozenset({"ansible.builtin.gather_facts", "ansible.builtin.setup",
                          "gather_facts", "setup"})
PAUSE_ACTIONS = frozenset({"ansible.builtin.pause", "pause"})


def _json_key(key):
    """A mapping key as JSON spells it (True -> "true", None -> "null", 1 -> "1")."""
    if isinstance(key, str):
        return str(key)
    if key is True or key is False or key is None:
        return json.dumps(key)
    return str(key)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "stackbook_events"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        path = os.environ.get("STACKBOOK_EVENTS_FILE")
        self._out = open(path, "w", encoding="utf-8") if path else None
        self._replacements = []
        for var, token in (("STACKBOOK_OUT_DIR", "<out_dir>"),
                           ("STACKBOOK_PLAYBOOK_DIR", "<playbook_dir>")):
            value = os.environ.get(var)
            if not value:
                continue
            for variant in {value.rstrip("/"), os.path.realpath(value)}:
                if variant and variant != "/":
                    self._replacements.append((variant, token))
        # Longest first so that a nested dir is replaced before its parent.
        self._replacements.sort(key=lambda pair: len(pair[0]), reverse=True)

    # ---------------------------------------------------------------- output
    def _emit(self, obj):
        if self._out is None:
            return
        self._out.write(json.dumps(obj, sort_keys=True, ensure_ascii=False,
                                   separators=(",", ":"), default=str))
        self._out.write("\n")
        self._out.flush()

    def _norm_str(self, value):
        for path, token in self._replacements:
            if path in value:
                value = value.replace(path, token)
        return value

    def _norm(self, value):
        """Normalise plain data: drop `_ansible*` keys, replace machine paths."""
        if isinstance(value, dict):
            return {self._norm_str(_json_key(key)): self._norm(item)
                    for key, item in value.items()
                    if not _json_key(key).startswith(DROP_PREFIXES)}
        if isinstance(value, (list, tuple)):
            return [self._norm(item) for item in value]
        if isinstance(value, (set, frozenset)):
            return sorted((self._norm(item) for item in value), key=repr)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            return self._norm_str(str(value))
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return self._norm_str(str(value))

    def _norm_result(self, value):
        """Normalise a module result: result-level noise keys go, `stat` is trimmed,
        each entry of a loop's `results` is itself a module result."""
        if not isinstance(value, dict):
            return self._norm(value)
        out = {}
        for key, item in value.items():
            key = _json_key(key)
            if key in DROP_KEYS or key.startswith(DROP_PREFIXES):
                continue
            if key == "stat" and isinstance(item, dict):
                keep = STAT_KEEP
                if item.get("isdir"):  # a directory's size depends on the filesystem
                    keep = tuple(k for k in STAT_KEEP if k != "size")
                out[key] = {k: self._norm(item[k]) for k in keep if k in item}
            elif key == "results" and isinstance(item, list):
                out[key] = [self._norm_result(entry) for entry in item]
            else:
                out[self._norm_str(key)] = self._norm(item)
        return out

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _raw(result):
        data = getattr(result, "result", None)
        if data is None:
            data = result._result
        return data

    @staticmethod
    def _action(task):
        return getattr(task, "resolved_action", None) or task.action

    def _task_name(self, task):
        return self._norm_str(str(task.get_name()).strip())

    def _clean(self, result):
        data = self._raw(result)
        cleaned = self._norm_result(data)
        action = self._action(result._task)
        if action in FACT_ACTIONS and isinstance(cleaned, dict):
            cleaned.pop("ansible_facts", None)
        if action in PAUSE_ACTIONS and isinstance(cleaned, dict):
            # "Paused for 1.0 seconds" carries the measured wall-clock duration.
            stdout = cleaned.get("stdout")
            if isinstance(stdout, str):
                cleaned["stdout"] = re.sub(r"^Paused for [0-9.]+ ", "Paused for <duration> ", stdout)
        return cleaned

    # ---------------------------------------------------------------- events
    def v2_playbook_on_play_start(self, play):
        hosts = []
        try:
            inventory = play.get_variable_manager()._inventory
            hosts = [h.get_name() for h in inventory.get_hosts(play.hosts)]
        except Exception:  # pragma: no cover - best effort for old cores
            pattern = play.hosts
            hosts = pattern if isinstance(pattern, list) else [pattern]
        self._emit({"event": "play_start", "play": self._norm_str(str(play.get_name()).strip()),
                    "hosts": hosts})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._emit({"event": "task_start", "task": self._task_name(task),
                    "action": self._action(task)})

    def v2_playbook_on_handler_task_start(self, task):
        self._emit({"event": "handler_start", "task": self._task_name(task),
                    "action": self._action(task)})

    def v2_playbook_on_include(self, included_file):
        self._emit({"event": "include",
                    "file": self._norm_str(str(included_file._filename)),
                    "hosts": [h.get_name() for h in included_file._hosts]})

    def _host_result(self, result, status, ignored=False):
        self._emit({"event": "host_result", "task": self._task_name(result._task),
                    "host": result._host.get_name(), "status": status,
                    "ignored": bool(ignored), "result": self._clean(result)})

    def v2_runner_on_ok(self, result):
        status = "changed" if self._raw(result).get("changed", False) else "ok"
        self._host_result(result, status)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._host_result(result, "failed", ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._host_result(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._host_result(result, "unreachable")

    def _item_result(self, result, status):
        data = self._raw(result)
        loop_var = data.get("ansible_loop_var", "item")
        event = {"event": "item_result", "task": self._task_name(result._task),
                 "host": result._host.get_name(), "status": status,
                 "item": self._norm(data.get(loop_var)),
                 "result": self._clean(result)}
        if "_ansible_item_label" in data:
            event["label"] = self._norm(data.get("_ansible_item_label"))
        self._emit(event)

    def v2_runner_item_on_ok(self, result):
        status = "changed" if self._raw(result).get("changed", False) else "ok"
        self._item_result(result, status)

    def v2_runner_item_on_failed(self, result):
        self._item_result(result, "failed")

    def v2_runner_item_on_skipped(self, result):
        self._item_result(result, "skipped")

    def v2_playbook_on_stats(self, stats):
        keys = ("ok", "changed", "unreachable", "failed", "skipped", "rescued", "ignored")
        out = {}
        for host in sorted(stats.processed.keys()):
            summary = stats.summarize(host)
            # summarize() calls the failed count "failures".
            summary["failed"] = summary.get("failures", 0)
            out[host] = {k: summary.get(k, 0) for k in keys}
        self._emit({"event": "recap", "stats": out})
        if self._out is not None:
            self._out.close()
            self._out = None
