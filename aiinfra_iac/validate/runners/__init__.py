"""Runners: what to execute for each check, on the nodes (scheduler / ansible-runner) or locally."""
