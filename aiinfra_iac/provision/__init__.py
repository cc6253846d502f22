"""Provisioning: Pulumi component resources per provider, the offline renderer and the engine.

Nothing heavy is imported here. ``aiinfra`` commands import :mod:`.offline` or :mod:`.engine`
inside their function bodies, and those load pulumi, pulumi_aws and pulumi_kubernetes only
when a program actually runs.
"""
