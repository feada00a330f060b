#!/usr/bin/env bash
# Offline checks of the deployment files:
#  - kubectl kustomize renders deploy/k8s, and the rendered manifests pass the
#    schema check (types, required fields, unknown fields) — and a deliberately
#    broken manifest is rejected, so the check can fail;
#  - docker-compose (Debian) validates deploy/compose.yaml.
# Needs kubectl, node/npm (npm packages pinned by package-lock.json) and
# docker-compose; `scripts/install-deps --with-deploy-tools` installs the
# Debian ones.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/tests/deploy"
if [ ! -d "$here/node_modules/@kubernetes/client-node" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
kubectl kustomize "$root/deploy/k8s" > "$rendered"
node "$here/validate-k8s.mjs" "$rendered"
for kind in Deployment Service HorizontalPodAutoscaler PodDisruptionBudget; do
  grep -q "^kind: $kind\$" "$rendered" || { echo "kustomize output lacks a $kind" >&2; exit 1; }
done
grep -q "nvidia.com/gpu" "$rendered" || { echo "Deployment lacks the GPU request" >&2; exit 1; }
grep -q "clusterIP: None" "$rendered" || { echo "no headless Service" >&2; exit 1; }
if node "$here/validate-k8s.mjs" "$here/bad-deployment.yaml" >/dev/null; then
  echo "schema check accepted a broken manifest" >&2
  exit 1
fi
docker-compose -f "$root/deploy/compose.yaml" config -q
echo "deploy files OK"
