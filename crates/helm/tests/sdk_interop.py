#!/usr/bin/env python3
"""Drives the real Helm SDK (helm-python-sdk 0.2.2 = Helm v4.2.3) for
tests/sdk_interop.rs. Usage:
  sdk_interop.py KUBECONFIG NAMESPACE ACTION NAME [CHART VALUES_JSON [VERSION]]
ACTION: list | history | get_values | install | upgrade | uninstall.
CHART is a chart directory, or an oci:// reference pulled by the SDK
itself (plain HTTP, version VERSION) inside the timed install.
Prints the SDK's answer as JSON on stdout."""
import json
import sys
import time

import helm_python as helm

kubeconfig, ns, action, name = sys.argv[1:5]
cfg = helm.Config(kubeconfig_path=kubeconfig, namespace=ns)
if action == "list":
    out = cfg.list(all_states=True)
elif action == "history":
    out = cfg.history(name)
elif action == "get_values":
    out = cfg.get_values(name)
elif action in ("install", "upgrade"):
    ref = sys.argv[5]
    values = json.loads(sys.argv[6])
    fn = cfg.install if action == "install" else cfg.upgrade
    extra = {"create_namespace": True} if action == "install" else {}
    if ref.startswith("oci://"):
        extra.update(chart_version=sys.argv[7], plain_http=True)
        start = time.perf_counter()
        out = fn(ref, name, values, namespace=ns, **extra)
        out["_elapsed_s"] = time.perf_counter() - start
        print(json.dumps(out))
        sys.exit(0)
    chart = helm.Chart.load(ref)
    start = time.perf_counter()
    out = fn(chart, name, values, namespace=ns, **extra)
    # Time of the action alone (no interpreter or library start-up).
    out["_elapsed_s"] = time.perf_counter() - start
elif action == "uninstall":
    out = cfg.uninstall(name)
else:
    sys.exit(f"unknown action {action}")
print(json.dumps(out))
