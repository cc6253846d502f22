"""Host CPU/memory layouts (Slurm node lines, gres Cores=) and DGX compute HCA names.

Data in ``catalog/data/host_layouts.yaml``, each entry with its public source. Instance types that
are not listed there get no layout: the Slurm role then takes the layout from the facts Ansible
gathered on the node, never a bare node line.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from aiinfra_iac.catalog.shape import CatalogDataError, entries
from aiinfra_iac.catalog.store import _read

FILE = "host_layouts.yaml"


@dataclass(frozen=True)
class HostLayout:
    """Sockets x cores x threads (and, for systems, memory and compute HCAs) of one host kind."""

    name: str
    sockets: int
    cores_per_socket: int
    threads_per_core: int
    sources: tuple[str, ...]
    memory_gib: int | None = None
    gpu_model: str | None = None
    gpu_count: int = 0
    compute_hcas: tuple[str, ...] = ()

    @property
    def cores(self) -> int:
        return self.sockets * self.cores_per_socket

    @property
    def cpus(self) -> int:
        return self.cores * self.threads_per_core


@functools.cache
def _load() -> tuple[dict[str, HostLayout], dict[str, HostLayout]]:
    data = _read(FILE)
    by_type: dict[str, HostLayout] = {}
    systems: dict[str, HostLayout] = {}
    for section, target in (("instance_types", by_type), ("systems", systems)):
        for entry in entries(data, section, FILE):
            name = entry.get_str("name")
            entry.where = f"{entry.where} ({name})"
            sources = entry.get_str_list("sources")
            if not sources:
                raise CatalogDataError(f"{entry.where}: needs at least one source")
            layout = HostLayout(
                name=name,
                sockets=entry.get_int("sockets", 1),
                cores_per_socket=entry.get_int("cores_per_socket", 1),
                threads_per_core=entry.get_int("threads_per_core", 1),
                sources=sources,
                memory_gib=entry.get_int("memory_gib", 1) if "memory_gib" in entry.data else None,
                gpu_model=entry.get_opt_str("gpu_model") if "gpu_model" in entry.data else None,
                gpu_count=entry.get_int("gpu_count", 1) if "gpu_count" in entry.data else 0,
                compute_hcas=entry.get_str_list("compute_hcas") if "compute_hcas" in entry.data else (),
            )
            if name in target:
                raise CatalogDataError(f"{entry.where}: duplicate name")
            target[name] = layout
    return by_type, systems


def instance_layout(instance_type: str | None) -> HostLayout | None:
    """The CPU layout of an EC2 instance type, or None where the catalog does not list it."""
    return _load()[0].get(instance_type or "")


def system(name: str) -> HostLayout | None:
    """A DGX system's layout and compute HCAs (``dgx-h100``, ``dgx-h200``), or None."""
    return _load()[1].get(name)


def systems() -> tuple[HostLayout, ...]:
    return tuple(_load()[1].values())
