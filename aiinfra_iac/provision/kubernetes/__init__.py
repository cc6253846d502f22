"""Kubernetes components: operators, queueing, platform services and observability as Helm releases."""
