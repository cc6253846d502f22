"""Pulumi program: the kubernetes components of the blueprint named by `aiinfra:blueprint`."""

from pathlib import Path

from aiinfra_iac.provision.stack_program import run_stack

run_stack("kubernetes", base=Path(__file__).resolve().parent)
