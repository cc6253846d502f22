"""One module per CLI command; each exposes ``command`` with typer annotations.

Modules here import only light dependencies at module level; pulumi, ansible_runner and
matplotlib are imported inside the command functions.
"""
