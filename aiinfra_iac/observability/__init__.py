"""Observability shipped with aiinfra: alert rules, Grafana dashboards and the metric names they may use."""
