#!/usr/bin/env python3
"""Times Helm's SDK (helm-python-sdk, Helm v4.2.3) on the same work as
examples/render_bench.rs: load the chart and render it like `helm template`
(install --dry-run=client: values, engine, manifest sorting), N times.
Prints ms/render and the process's peak RSS."""
import resource
import sys
import time

import helm_python as helm

chart_dir = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 50
cfg = helm.Config(namespace="default", storage_driver="memory")
start = time.perf_counter()
for _ in range(n):
    with helm.Chart.load(chart_dir) as chart:
        rel = cfg.install(chart, "release-name", {}, dry_run="client", namespace="default")
per = (time.perf_counter() - start) * 1000 / n
docs = rel["manifest"].count("\n# Source: ")
print(f"helm-sdk {chart_dir}: {per:.3f} ms/render ({docs} documents), peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} KiB")
