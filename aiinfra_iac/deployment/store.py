"""Read and write ``<state>/<stack>/deployment.json`` atomically (temporary file, then rename; 0600)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from pydantic import ValidationError

from aiinfra_iac.deployment.model import SCHEMA_VERSION, Deployment
from aiinfra_iac.errors import UsageError

DEPLOYMENT_FILE = "deployment.json"


def deployment_path(state: Path, stack: str) -> Path:
    return state / stack / DEPLOYMENT_FILE


def write_deployment(state: Path, deployment: Deployment) -> Path:
    """Write the record for ``deployment.stack``; a reader never sees a half-written file."""
    path = deployment_path(state, deployment.stack)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamped = deployment.model_copy(
        update={"written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    )
    fd, tmp = tempfile.mkstemp(prefix=".deployment.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp creates it 0600
            handle.write(stamped.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_deployment(state: Path, stack: str) -> Deployment | None:
    """The record of ``stack``, or None when there is none; a damaged record is a usage error."""
    path = deployment_path(state, stack)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise UsageError(f"cannot read the deployment record {path}: {error.strerror or error}") from None
    try:
        data = json.loads(text)
    except ValueError as error:
        raise UsageError(f"{path}: not JSON ({error}); run `aiinfra up` again to rewrite it") from None
    version = data.get("schemaVersion") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise UsageError(
            f"{path}: schemaVersion {version!r} is not {SCHEMA_VERSION}, the version this aiinfra reads; "
            "run `aiinfra up` again to rewrite it"
        )
    try:
        return Deployment.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UsageError(f"{path}: {where}: {first['msg']}; run `aiinfra up` again to rewrite it") from None


def require_deployment(state: Path, stack: str, cluster: str) -> Deployment:
    """The record, or a usage error that says to run provisioning first."""
    found = read_deployment(state, stack)
    if found is None:
        raise UsageError(
            f"no deployment record for {cluster} in {deployment_path(state, stack)}: run "
            "`aiinfra up FILE` (or `--only provision`) first, with the same --state-dir"
        )
    return found


def remove_deployment(state: Path, stack: str) -> bool:
    path = deployment_path(state, stack)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
