#!/bin/sh
# Regenerates tests/fixtures/protobuf/ from a checkout of https://github.com/kubernetes/api:
# its testdata/HEAD/*.pb and *.json files are produced by Kubernetes' own round-trip fixture
# generator, so they are the oracle for kube-test-server's protobuf request decoding.
# Usage: scripts/update-protobuf-fixtures.sh /path/to/kubernetes-api-git-dir
set -eu
api="${1:?usage: $0 /path/to/kubernetes/api (git dir or checkout)}"
here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/tests/fixtures/protobuf"
mkdir -p "$out"
commit="$(git --git-dir="$api" rev-parse HEAD 2>/dev/null || git -C "$api" rev-parse HEAD)"
for kind in ConfigMap Secret Namespace ServiceAccount; do
    for ext in pb json; do
        src="testdata/HEAD/core.v1.$kind.$ext"
        git --git-dir="$api" show "HEAD:$src" > "$out/core.v1.$kind.$ext" 2>/dev/null \
            || git -C "$api" show "HEAD:$src" > "$out/core.v1.$kind.$ext"
    done
done
echo "kubernetes/api $commit testdata/HEAD" > "$out/SOURCE"
