#!/usr/bin/env python3
"""Writes release records produced by the REAL Helm SDK (helm-python-sdk 0.2.2 =
Helm v4.2.3) into tests/release-fixtures/*.secret.json.

Run through regenerate.sh, which starts the kube-test-server TEST DOUBLE and
passes its kubeconfig as argv[1]. Scenario (namespace `fixtures`):
  relchart  install (values {greeting: hi}) -> upgrade (greeting: bye, replicas: 2)
  gone      install -> uninstall --keep-history   (status `uninstalled`)
Each Secret is stored as the API server returns it (data base64-encoded),
with server-assigned metadata (uid, resourceVersion, managedFields, times) removed.
"""
import base64
import json
import pathlib
import ssl
import sys
import tempfile
import urllib.request

import yaml
import helm_python as helm

HERE = pathlib.Path(__file__).resolve().parent
CHART = HERE.parent / "fixtures" / "relchart"
NS = "fixtures"


def kube_get(kubeconfig, path):
    cfg = yaml.safe_load(pathlib.Path(kubeconfig).read_text())
    cluster = cfg["clusters"][0]["cluster"]
    user = cfg["users"][0]["user"]
    ctx = ssl.create_default_context()
    if "certificate-authority-data" in cluster:
        with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as f:
            f.write(base64.b64decode(cluster["certificate-authority-data"]))
        ctx.load_verify_locations(f.name)
        # The test double's CA lacks extensions Python 3.13's strict mode wants.
        ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT
    req = urllib.request.Request(cluster["server"] + path)
    if user.get("token"):
        req.add_header("Authorization", "Bearer " + user["token"])
    with urllib.request.urlopen(req, context=ctx) as r:
        return json.loads(r.read())


def main():
    kubeconfig = sys.argv[1]
    out = HERE
    for f in out.glob("*.secret.json"):
        f.unlink()
    cfg = helm.Config(kubeconfig_path=kubeconfig, namespace=NS)
    chart = helm.Chart.load(str(CHART))
    cfg.install(chart, "relchart", {"greeting": "hi"}, namespace=NS, create_namespace=True)
    cfg.upgrade(chart, "relchart", {"greeting": "bye", "replicas": 2}, namespace=NS)
    cfg.install(chart, "gone", {}, namespace=NS)
    cfg.uninstall("gone", keep_history=True)
    secrets = kube_get(kubeconfig, f"/api/v1/namespaces/{NS}/secrets?labelSelector=owner%3Dhelm")
    for s in secrets["items"]:
        md = s["metadata"]
        for k in ("uid", "resourceVersion", "managedFields", "creationTimestamp", "generation"):
            md.pop(k, None)
        s.setdefault("apiVersion", "v1")
        s.setdefault("kind", "Secret")
        (out / (md["name"] + ".secret.json")).write_text(json.dumps(s, indent=1, sort_keys=True) + "\n")
        print("wrote", md["name"])
    # What the SDK reports for the release, to compare decoded fields against.
    status = cfg.status("relchart")
    (out / "relchart.status.json").write_text(json.dumps(status, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
