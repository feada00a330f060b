#!/usr/bin/env bash
# Offline checks of the deployment files:
#  - the Kubernetes base passes a strict schema check (types, required fields,
#    enums, unknown fields) with kubernetes-validate from .venv; where kubectl is
#    installed the check runs on `kubectl kustomize` output, otherwise on each
#    resource file the kustomization lists;
#  - two deliberately broken manifests (a wrong type, an unknown field) are each
#    rejected, so the check can fail;
#  - docker-compose (Debian) validates deploy/compose.yaml;
#  - hadolint (from .venv) lints the Dockerfile, both variants, with no finding
#    of any level, and rejects a deliberately bad one; the GPU variant installs
#    its libtorch with the same pinned installer step that CI runs.
# `scripts/install-deps --with-deploy-tools` installs everything it needs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/deploy"
validate="${KUBERNETES_VALIDATE:-$root/.venv/bin/kubernetes-validate}"
hadolint="$root/.venv/bin/hadolint"
for tool in "$validate" "$hadolint"; do
  [ -x "$tool" ] || { echo "missing $tool: run scripts/install-deps --with-deploy-tools" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rendered="$work/rendered.yaml"
if command -v kubectl >/dev/null 2>&1; then
  kubectl kustomize "$root/deploy/k8s" > "$rendered"
  echo "rendered deploy/k8s with kubectl kustomize"
else
  # The resource files the kustomization lists, unrendered.
  sed -n '/^resources:/,/^[a-z]/s/^  - //p' "$root/deploy/k8s/kustomization.yaml" |
    while read -r f; do cat "$root/deploy/k8s/$f"; echo "---"; done > "$rendered"
  echo "kubectl not installed: checking deploy/k8s resource files without kustomize"
fi
"$validate" --strict --quiet "$rendered"
for kind in Namespace Deployment Service HorizontalPodAutoscaler PodDisruptionBudget ConfigMap; do
  grep -q "^kind: $kind\$" "$rendered" || { echo "deploy/k8s lacks a $kind" >&2; exit 1; }
done
grep -q "nvidia.com/gpu" "$rendered" || { echo "Deployment lacks the GPU request" >&2; exit 1; }
grep -q "clusterIP: None" "$rendered" || { echo "no headless Service" >&2; exit 1; }
for bad in bad-type bad-unknown-field; do
  if "$validate" --strict --quiet "$here/$bad.yaml" >/dev/null 2>&1; then
    echo "schema check accepted the broken manifest $bad.yaml" >&2
    exit 1
  fi
done
GRAFANA_ADMIN_PASSWORD=check docker-compose -f "$root/deploy/compose.yaml" config -q
# Safe defaults: Grafana has no anonymous access and no default password;
# every published port is on loopback.
if env -u GRAFANA_ADMIN_PASSWORD docker-compose -f "$root/deploy/compose.yaml" config -q >/dev/null 2>&1; then
  echo "compose starts without a Grafana admin password" >&2
  exit 1
fi
if grep -E '^\s+- "[0-9]+:[0-9]+"' "$root/deploy/compose.yaml"; then
  echo "compose publishes a port on every interface" >&2
  exit 1
fi
grep -q "seccompProfile" "$rendered" || { echo "Deployment lacks a seccompProfile" >&2; exit 1; }
grep -q "^kind: NetworkPolicy$" "$rendered" || { echo "deploy/k8s lacks a NetworkPolicy" >&2; exit 1; }
grep -q -- "--tls_cert=" "$rendered" || { echo "the Deployment does not serve TLS" >&2; exit 1; }
grep -q -- "--auth_tokens=" "$rendered" || { echo "the Deployment does not authenticate callers" >&2; exit 1; }
"$hadolint" --no-color --failure-threshold info "$root/Dockerfile"
if "$hadolint" --no-color --failure-threshold info "$here/bad.Dockerfile" >/dev/null 2>&1; then
  echo "hadolint accepted the broken tests/deploy/bad.Dockerfile" >&2
  exit 1
fi
grep -q -- "--with-cuda-torch" "$root/Dockerfile" || { echo "the CUDA image does not install libtorch with install-deps" >&2; exit 1; }
if grep -q "third_party/libtorch" "$root/Dockerfile"; then
  echo "the CUDA image expects a hand-unpacked libtorch" >&2
  exit 1
fi
echo "deploy files OK"
