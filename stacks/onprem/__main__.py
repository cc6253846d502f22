"""Pulumi program: the onprem components of the blueprint named by `aiinfra:blueprint`."""

from pathlib import Path

from aiinfra_iac.provision.stack_program import run_stack

run_stack("onprem", base=Path(__file__).resolve().parent)
