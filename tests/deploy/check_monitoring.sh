#!/usr/bin/env bash
# Offline checks of the monitoring files: promtool (Debian package prometheus)
# validates the Prometheus config and the alert rules and runs their unit
# tests. (The Grafana dashboard is checked by dashboard_test.)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
promtool check config "$root/deploy/prometheus/prometheus.yml"
promtool check rules "$root/deploy/prometheus/alerts.yml"
promtool test rules "$root/deploy/prometheus/alerts_test.yml"
echo "monitoring files OK"
