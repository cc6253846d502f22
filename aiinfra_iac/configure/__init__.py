"""The configure stage: Ansible inventory from the plan, roles per pool, ansible-runner with progress.

Import the submodules directly (``aiinfra_iac.configure.inventory``, ``…stage``); this package
imports nothing heavy so the CLI can load it at startup.
"""
