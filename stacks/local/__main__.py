"""Pulumi program: the local components of the blueprint named by `aiinfra:blueprint`."""

from pathlib import Path

from aiinfra_iac.provision.stack_program import run_stack

run_stack("local", base=Path(__file__).resolve().parent)
