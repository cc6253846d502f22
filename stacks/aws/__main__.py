"""Pulumi program: the aws components of the blueprint named by `aiinfra:blueprint`."""

from pathlib import Path

from aiinfra_iac.provision.stack_program import run_stack

run_stack("aws", base=Path(__file__).resolve().parent)
