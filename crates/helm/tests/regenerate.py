#!/usr/bin/env python3
"""Regenerates the Helm goldens with Helm's own Go SDK (helm-python-sdk 0.2.2,
Helm v4.2.3). Run:  python3 crates/helm/tests/regenerate.py
(through the oracle venv: `$(bash crates/helm/tests/setup-oracle.sh)/python ...`).

Chart cases: tests/cases/<case>.json ->
  tests/goldens/<case>.manifest  (release manifest of `helm install --dry-run=client`)
  tests/goldens/<case>.notes     (rendered NOTES.txt)
  or tests/goldens/<case>.error  (the error message) when rendering fails.
Template corpus: tests/gotmpl-inputs/<name>.txt (values JSON, a `---` line, a
template) rendered as the only template of a throwaway chart ->
  tests/gotmpl-goldens/<name>.out  (output, or `!!!ERROR!!!\n<message>`).
"""
import json
import pathlib
import shutil
import sys
import tempfile

import helm_python as helm

HERE = pathlib.Path(__file__).resolve().parent
CHARTS = HERE.parent.parent.parent.parent / "shared" / "charts"


def merge(a, b):
    """Helm's mergeMaps: b wins, nested maps merge."""
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = v
    return out


def chart_path(name):
    """`fixtures/x` lives in tests/fixtures; anything else in shared/charts."""
    if name.startswith("fixtures/"):
        return HERE / name
    return CHARTS / name


def user_values(case):
    vals = {}
    for doc in case.get("values_files", []):
        vals = merge(vals, helm.values_from_yaml(doc))
    for expr in case.get("set_json", []):
        vals = merge(vals, helm.parse_set_json(expr))
    for expr in case.get("set", []):
        vals = merge(vals, helm.parse_set_string(expr))
    for expr in case.get("set_string", []):
        vals = merge(vals, helm.parse_set_string_values(expr))
    return vals


def chart_cases():
    out = HERE / "goldens"
    out.mkdir(exist_ok=True)
    for f in sorted((HERE / "cases").glob("*.json")):
        case = json.loads(f.read_text())
        name = f.stem
        for ext in (".manifest", ".notes", ".error"):
            (out / (name + ext)).unlink(missing_ok=True)
        chart = helm.Chart.load(str(chart_path(case["chart"])))
        rel = case.get("release", {})
        cfg = helm.Config(namespace=rel.get("namespace", "default"), storage_driver="memory")
        try:
            r = cfg.install(chart, rel.get("name", "release-name"), user_values(case),
                            dry_run="client", namespace=rel.get("namespace", "default"))
            (out / (name + ".manifest")).write_text(r["manifest"])
            (out / (name + ".notes")).write_text(r.get("notes") or "")
            if r.get("hooks"):
                (out / (name + ".hooks")).write_text(json.dumps(r["hooks"], indent=1, sort_keys=True))
            print("ok   ", name)
        except helm.HelmError as e:
            (out / (name + ".error")).write_text(str(e))
            print("error", name, str(e)[:100])


def gotmpl_cases():
    out = HERE / "gotmpl-goldens"
    out.mkdir(exist_ok=True)
    for f in sorted((HERE / "gotmpl-inputs").glob("*.txt")):
        text = f.read_text()
        ctx, _, tpl = text.partition("\n---\n")
        vals = json.loads(ctx) if ctx.strip() else {}
        tmp = pathlib.Path(tempfile.mkdtemp())
        try:
            (tmp / "templates").mkdir()
            (tmp / "Chart.yaml").write_text("apiVersion: v2\nname: gotmpl\nversion: 0.1.0\nappVersion: 1.2.3\n")
            (tmp / "templates" / "out.txt").write_text(tpl)
            chart = helm.Chart.load(str(tmp))
            try:
                r = chart.render(vals, name="rel", namespace="ns")
                result = r["gotmpl/templates/out.txt"]
            except helm.HelmError as e:
                result = "!!!ERROR!!!\n" + str(e)
        finally:
            shutil.rmtree(tmp)
        (out / (f.stem + ".out")).write_text(result)
        print("tmpl ", f.stem)


if __name__ == "__main__":
    which = sys.argv[1:] or ["charts", "gotmpl"]
    if "charts" in which:
        chart_cases()
    if "gotmpl" in which:
        gotmpl_cases()
