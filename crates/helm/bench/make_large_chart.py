#!/usr/bin/env python3
"""Writes a large synthetic chart (many templates using a library subchart's
helpers, toYaml, range, include) to the directory given as argument."""
import pathlib
import sys

out = pathlib.Path(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 120
(out / "templates").mkdir(parents=True, exist_ok=True)
(out / "charts/common/templates").mkdir(parents=True, exist_ok=True)
(out / "Chart.yaml").write_text("apiVersion: v2\nname: large\nversion: 1.0.0\nappVersion: '1.0'\ndependencies:\n  - name: common\n    version: 1.0.0\n")
vals = ["replicas: 2", "image: {repository: app, tag: v1}", "services:"]
for i in range(n):
    vals.append(f"  svc{i}:\n    port: {8000 + i}\n    labels: {{tier: t{i % 5}, idx: '{i}'}}\n    env:\n      - {{name: A{i}, value: '{i}'}}\n      - {{name: B{i}, value: x}}")
(out / "values.yaml").write_text("\n".join(vals) + "\n")
(out / "charts/common/Chart.yaml").write_text("apiVersion: v2\nname: common\nversion: 1.0.0\ntype: library\n")
(out / "charts/common/templates/_helpers.tpl").write_text('''{{- define "common.name" -}}
{{- printf "%s-%s" .root.Release.Name .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "common.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- range $k, $v := .labels }}
{{ $k }}: {{ $v | quote }}
{{- end }}
{{- end -}}
''')
for i in range(n):
    (out / "templates" / f"svc{i}.yaml").write_text(f'''{{{{- $svc := index .Values.services "svc{i}" }}}}
{{{{- $ctx := dict "root" $ "name" "svc{i}" "labels" $svc.labels }}}}
apiVersion: v1
kind: Service
metadata:
  name: {{{{ include "common.name" $ctx }}}}
  labels:
    {{{{- include "common.labels" $ctx | nindent 4 }}}}
spec:
  ports:
    - port: {{{{ $svc.port }}}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ include "common.name" $ctx }}}}
spec:
  replicas: {{{{ .Values.replicas }}}}
  template:
    metadata:
      labels:
        {{{{- include "common.labels" $ctx | nindent 8 }}}}
    spec:
      containers:
        - name: app
          image: "{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}"
          env:
            {{{{- toYaml $svc.env | nindent 12 }}}}
''')
