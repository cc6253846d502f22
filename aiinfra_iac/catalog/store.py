"""Load the hardware catalog (``catalog/data/*.yaml``) into typed records, once per process.

The YAML is data with a public source next to every entry; this module only checks its shape
(loudly: a malformed entry is a bug in the toolkit, reported with the file and entry) and builds
the indexes and lookups the rest of the toolkit shares.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from aiinfra_iac.catalog.shape import CatalogDataError, Entry, entries
from aiinfra_iac.catalog.shape import index as index_by
from aiinfra_iac.catalog.types import (
    Catalog,
    DpuModel,
    Expectations,
    FabricEfficiency,
    GpuModel,
    InstanceType,
    NcclExpectation,
    NcclVariable,
    NetworkInterfaceSlot,
    Nic,
)

DATA_DIR = Path(__file__).parent / "data"
_GB_PER_GIB = 2**30 / 10**9


USER_CATALOG_ENV = "AIINFRA_CATALOG"
"""A YAML file adding ``instance_types`` and ``nics`` entries (same fields and ``sources`` as the
built-in files); checked like them, and an entry may not redefine a built-in one. A blueprint
names its own such file with ``spec.catalog`` (:func:`load_catalog`'s ``user_file``)."""


def _read(name: str) -> dict[str, Any]:
    return _read_path(DATA_DIR / name)


def _read_path(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CatalogDataError(f"cannot read catalog file {path}: {error.strerror}") from error
    try:
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        raise CatalogDataError(f"catalog file {path} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise CatalogDataError(f"catalog file {path}: expected a mapping at the top level")
    return data


# --------------------------------------------------------------------------- per file


def _gpus() -> dict[str, GpuModel]:
    file = "gpus.yaml"
    gpus = []
    for entry in entries(_read(file), "gpus", file):
        entry.where = f"{entry.where} ({entry.data.get('id')})"
        gpus.append(
            GpuModel(
                id=entry.get_str("id"),
                aliases=entry.get_str_list("aliases"),
                architecture=entry.get_str("architecture"),
                memory_gib=entry.get_int("memory_gib", 1),
                nvlink_gbps=entry.get_float("nvlink_gbps"),
                nvswitch=entry.get_bool("nvswitch"),
                bf16_dense_tflops=entry.get_float("bf16_dense_tflops"),
                fp64_tflops=entry.get_float("fp64_tflops"),
                tdp_watts=entry.get_int("tdp_watts", 1),
                sources=entry.sources(),
                compute_capability=entry.get_str("compute_capability"),
            )
        )
    indexed = index_by(gpus, "id", file)
    seen: dict[str, str] = {}
    for gpu in gpus:
        for name in (gpu.id, *gpu.aliases):
            other = seen.setdefault(name.lower(), gpu.id)
            if other != gpu.id or (name != gpu.id and name.lower() == gpu.id.lower()):
                raise CatalogDataError(f"{file}: name '{name}' of {gpu.id} is also a name of {other}")
    return indexed


def _card_range(text: object, where: str) -> range:
    if isinstance(text, int) and not isinstance(text, bool):
        return range(text, text + 1)
    if not isinstance(text, str):
        raise CatalogDataError(f"{where}: 'cards' must be an index or a range 'a-b'")
    first, _, last = text.partition("-")
    try:
        start, stop = int(first), int(last or first)
    except ValueError:
        raise CatalogDataError(f"{where}: 'cards' must be an index or a range 'a-b', got {text!r}") from None
    if stop < start:
        raise CatalogDataError(f"{where}: empty card range {text!r}")
    return range(start, stop + 1)


def _layout(entry: Entry) -> tuple[NetworkInterfaceSlot, ...]:
    slots = []
    for index, raw in enumerate(entry.get_list("interface_layout")):
        slot = Entry(raw, f"{entry.where}.interface_layout[{index}]")
        kind = slot.get_str("kind")
        if kind not in ("interface", "efa", "efa-only"):
            raise CatalogDataError(f"{slot.where}: kind must be interface, efa or efa-only, not {kind!r}")
        device = slot.get_int("device_index")
        for card in _card_range(slot.data.get("cards"), slot.where):
            slots.append(NetworkInterfaceSlot(network_card_index=card, device_index=device, kind=kind))  # type: ignore[arg-type]
    return tuple(slots)


def _instance_types(
    gpus: Mapping[str, GpuModel], data: dict[str, Any] | None = None, file: str = "aws_instances.yaml"
) -> dict[str, InstanceType]:
    types = []
    for entry in entries(_read(file) if data is None else data, "instance_types", file):
        entry.where = f"{entry.where} ({entry.data.get('name')})"
        gpu_model = entry.get_opt_str("gpu_model")
        if gpu_model is not None and gpu_model not in gpus:
            raise CatalogDataError(f"{entry.where}: gpu_model '{gpu_model}' is not in gpus.yaml")
        gpu_numa = entry.get_list("gpu_numa")
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in gpu_numa):
            raise CatalogDataError(f"{entry.where}: gpu_numa must list integers")
        types.append(
            InstanceType(
                name=entry.get_str("name"),
                gpu_model=gpu_model,
                gpu_count=entry.get_int("gpu_count"),
                vcpus=entry.get_int("vcpus", 1),
                memory_gib=entry.get_int("memory_gib", 1),
                numa_nodes=entry.get_int("numa_nodes", 1),
                network_cards=entry.get_int("network_cards", 1),
                efa_interfaces=entry.get_int("efa_interfaces"),
                efa_generation=entry.get_opt_int("efa_generation"),
                network_gbps=entry.get_int("network_gbps", 1),
                interface_layout=_layout(entry),
                gpu_numa=tuple(gpu_numa),
                local_nvme_gib=int(entry.get_int("local_nvme_gb") / _GB_PER_GIB),
                gpudirect_rdma=entry.get_bool("gpudirect_rdma"),
                supports_capacity_blocks=entry.get_bool("supports_capacity_blocks"),
                price_usd_hour=entry.get_float("price_usd_hour"),
                sources=entry.sources(),
            )
        )
    for it in types:
        _check_instance(it, f"{file}: {it.name}")
    return index_by(types, "name", file)


def _check_instance(it: InstanceType, where: str) -> None:
    """Facts of one instance type must agree with each other."""
    if (it.gpu_model is None) != (it.gpu_count == 0):
        raise CatalogDataError(f"{where}: gpu_model and gpu_count disagree")
    if len(it.gpu_numa) != it.gpu_count or any(not 0 <= n < it.numa_nodes for n in it.gpu_numa):
        raise CatalogDataError(f"{where}: gpu_numa must give a NUMA node < numa_nodes for each of the GPUs")
    if it.efa_interfaces > it.network_cards:
        raise CatalogDataError(f"{where}: more EFA interfaces than network cards")
    cards = sorted({slot.network_card_index for slot in it.interface_layout})
    if it.efa_interfaces and cards != list(range(it.network_cards)):
        raise CatalogDataError(
            f"{where}: interface_layout must cover network cards 0..{it.network_cards - 1}"
        )
    efa_slots = sum(1 for slot in it.interface_layout if slot.kind != "interface")
    if efa_slots != it.efa_interfaces:
        raise CatalogDataError(
            f"{where}: interface_layout has {efa_slots} EFA interfaces, not {it.efa_interfaces}"
        )
    if not any(
        s.network_card_index == 0 and s.device_index == 0 and s.kind != "efa-only"
        for s in it.interface_layout
    ):
        raise CatalogDataError(f"{where}: the primary interface (card 0, device 0) must carry ENA")
    if it.efa_generation is not None and not it.efa_interfaces:
        raise CatalogDataError(f"{where}: efa_generation set on a type without EFA")


def _nics(data: dict[str, Any] | None = None, file: str = "nics.yaml") -> dict[str, Nic]:
    nics = []
    for entry in entries(_read(file) if data is None else data, "nics", file):
        entry.where = f"{entry.where} ({entry.data.get('id')})"
        kind = entry.get_str("kind")
        if kind not in ("hca", "efa", "dpu"):
            raise CatalogDataError(f"{entry.where}: kind must be hca, efa or dpu")
        link_types = entry.get_str_list("link_types")
        if not link_types or not set(link_types) <= {"infiniband", "ethernet", "efa"}:
            raise CatalogDataError(
                f"{entry.where}: link_types must be a non-empty subset of infiniband, ethernet, efa"
            )
        nics.append(
            Nic(
                id=entry.get_str("id"),
                kind=kind,  # type: ignore[arg-type]
                line_rate_gbps=entry.get_int("line_rate_gbps", 1),
                link_types=link_types,
                sources=entry.sources(),
            )
        )
    return index_by(nics, "id", file)


def _dpus(nics: Mapping[str, Nic]) -> dict[str, DpuModel]:
    file = "dpus.yaml"
    dpus = []
    for entry in entries(_read(file), "dpus", file):
        entry.where = f"{entry.where} ({entry.data.get('id')})"
        nic = entry.get_str("nic")
        if nic not in nics:
            raise CatalogDataError(f"{entry.where}: nic '{nic}' is not in nics.yaml")
        dpus.append(
            DpuModel(
                id=entry.get_str("id"),
                nic=nic,
                arm_cores=entry.get_int("arm_cores", 1),
                memory_gib=entry.get_int("memory_gib", 1),
                line_rate_gbps=entry.get_int("line_rate_gbps", 1),
                sources=entry.sources(),
            )
        )
    return index_by(dpus, "id", file)


def _nccl_variables() -> dict[str, NcclVariable]:
    file = "nccl_variables.yaml"
    data = _read(file)
    source = data.get("source")
    if not isinstance(source, str) or not source.startswith("https://"):
        raise CatalogDataError(f"{file}: top-level 'source' must be an https:// URL")
    variables = []
    for entry in entries(data, "variables", file):
        name = entry.get_str("name")
        if not name.startswith("NCCL_"):
            raise CatalogDataError(f"{entry.where}: '{name}' is not an NCCL_ variable")
        fabrics = entry.get_str_list("fabrics")
        if not set(fabrics) <= {"efa", "infiniband", "roce"}:
            raise CatalogDataError(f"{entry.where}: fabrics must be a subset of efa, infiniband, roce")
        variables.append(
            NcclVariable(name=name, description=entry.get_str("description"), fabrics=fabrics, source=source)
        )
    return index_by(variables, "name", file)


def _expectations(gpus: Mapping[str, GpuModel]) -> tuple[tuple[NcclExpectation, ...], Expectations]:
    file = "expectations.yaml"
    data = _read(file)
    nccl = []
    for entry in entries(data, "nccl_node", file):
        gpu = entry.get_str("gpu_model")
        if gpu not in gpus:
            raise CatalogDataError(f"{entry.where}: gpu_model '{gpu}' is not in gpus.yaml")
        nccl.append(
            NcclExpectation(
                gpu_model=gpu,
                gpus_per_node=entry.get_int("gpus_per_node", 2),
                scope="node",
                collective=entry.get_str("collective"),
                busbw_gbps=entry.get_float("busbw_gbps"),
                source=entry.get_str("source"),
            )
        )
    fabrics = {}
    for entry in entries(data, "nccl_fabric", file):
        efficiency = entry.get_float("efficiency")
        if not 0 < efficiency <= 1:
            raise CatalogDataError(f"{entry.where}: efficiency must be in (0, 1]")
        fabric = FabricEfficiency(
            fabric=entry.get_str("fabric"), efficiency=efficiency, source=entry.get_str("source")
        )
        fabrics[fabric.fabric] = fabric
    rdma = Entry(data.get("rdma"), f"{file}: rdma")
    cpu = Entry(data.get("cpu_fallback"), f"{file}: cpu_fallback")
    return tuple(nccl), Expectations(
        fabric_efficiency=fabrics,
        rdma_efficiency=rdma.get_float("efficiency"),
        rdma_source=rdma.get_str("source"),
        cpu_gloo_busbw_gbps=cpu.get_float("gloo_all_reduce_busbw_gbps"),
        cpu_source=cpu.get_str("gloo_source"),
    )


# --------------------------------------------------------------------------- public API


class UserCatalogError(CatalogDataError):
    """A user catalog named by a blueprint's ``spec.catalog`` is wrong: the message, the file and
    the line of the entry (or section) at fault, so ``check`` can report it like any problem."""

    def __init__(self, message: str, file: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line


MAX_USER_CATALOG_BYTES = 2**20
"""A ``spec.catalog`` file arrives with a pull request: bounded before it is parsed."""

_SECTIONS = {"instance_types": "name", "nics": "id"}
"""The sections a user catalog may add to, each with the key that names an entry."""


def _section_lines(text: str) -> dict[str, tuple[int, list[int]]]:
    """Line of each section key and of each of its entries (1-based), from the YAML node tree."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return {}  # _read_path has reported the syntax error already
    found: dict[str, tuple[int, list[int]]] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            items = value.value if isinstance(value, yaml.SequenceNode) else []
            found[str(key.value)] = (key.start_mark.line + 1, [item.start_mark.line + 1 for item in items])
    return found


def _line_of(
    message: str, section: str, items: list[Any], lines: dict[str, tuple[int, list[int]]]
) -> int | None:
    """The line of the entry a catalog error names (by index, or by its name), else its section's."""
    section_line, entry_lines = lines.get(section, (None, []))
    match = re.search(rf"{section}\[(\d+)\]", message)
    if match and int(match.group(1)) < len(entry_lines):
        return entry_lines[int(match.group(1))]
    name_key = _SECTIONS.get(section, "")
    for index, item in enumerate(items):
        name = item.get(name_key) if isinstance(item, dict) else None
        if isinstance(name, str) and name in message and index < len(entry_lines):
            return entry_lines[index]
    return section_line


def _add_user_file(
    path: Path,
    where: str,
    gpus: Mapping[str, GpuModel],
    instance_types: dict[str, InstanceType],
    nics: dict[str, Nic],
    located: bool,
) -> None:
    """Check the user catalog at ``path`` like the built-in data and add its entries in place.

    ``located`` (``spec.catalog``) raises :class:`UserCatalogError` naming the file and line;
    otherwise (``$AIINFRA_CATALOG``) a :class:`CatalogDataError` naming ``where``."""
    if located and path.stat().st_size > MAX_USER_CATALOG_BYTES:
        raise UserCatalogError(
            f"the catalog file is larger than {MAX_USER_CATALOG_BYTES // 2**20} MiB; a site catalog "
            "adds a few entries",
            str(path),
            None,
        )
    try:
        data = _read_path(path)
    except CatalogDataError as error:
        if not located:
            raise
        mark = getattr(error.__cause__, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise UserCatalogError(
            str(error).replace(f"catalog file {path}", "the catalog file"), str(path), line
        ) from None
    lines = _section_lines(path.read_text(encoding="utf-8")) if located else {}

    def failed(message: str, section: str, items: list[Any]) -> CatalogDataError:
        if not located:
            return CatalogDataError(message)
        shown = message.removeprefix(f"{where}: ")
        return UserCatalogError(shown, str(path), _line_of(message, section, items, lines))

    unknown = sorted(set(data) - {*_SECTIONS, "sources"})
    if unknown:
        raise failed(
            f"{where}: unknown section(s) {', '.join(unknown)}; use instance_types and nics", unknown[0], []
        )
    raw_types = data.get("instance_types") or []
    raw_nics = data.get("nics") or []
    try:
        added_types = _instance_types(gpus, {"instance_types": raw_types}, where)
    except CatalogDataError as error:
        raise failed(str(error), "instance_types", raw_types) from None
    try:
        added_nics = _nics({"nics": raw_nics}, where)
    except CatalogDataError as error:
        raise failed(str(error), "nics", raw_nics) from None
    for added, known, kind, section, raw in (
        (added_types, instance_types, "instance type", "instance_types", raw_types),
        (added_nics, nics, "NIC", "nics", raw_nics),
    ):
        clash = sorted(set(added) & set(known))
        if clash:
            raise failed(
                f"{where}: {kind} {', '.join(clash)} is in the built-in catalog already "
                f"(or in ${USER_CATALOG_ENV}); a user catalog only adds entries",
                section,
                raw,
            )
    instance_types.update(added_types)
    nics.update(added_nics)


@functools.cache
def load_catalog(user_file: str | None = None) -> Catalog:
    """Every catalog fact: built-in, plus ``$AIINFRA_CATALOG``, plus ``user_file`` (a blueprint's
    ``spec.catalog``, an absolute path the loader has confined); loaded and checked once per
    process and file."""
    gpus = _gpus()
    nics = _nics()
    instance_types = _instance_types(gpus)
    env_file = os.environ.get(USER_CATALOG_ENV)
    if env_file:
        path = Path(env_file).expanduser()
        _add_user_file(path, f"{USER_CATALOG_ENV}={path}", gpus, instance_types, nics, located=False)
    if user_file is not None:
        _add_user_file(Path(user_file), user_file, gpus, instance_types, nics, located=True)
    nccl, expectations = _expectations(gpus)
    return Catalog(
        gpus=gpus,
        instance_types=instance_types,
        nics=nics,
        dpus=_dpus(nics),
        nccl_variables=_nccl_variables(),
        nccl_expectations=nccl,
        expectations=expectations,
    )


@functools.cache
def _gpu_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for gpu in load_catalog().gpus.values():
        for name in (gpu.id, *gpu.aliases):
            names[name.lower()] = gpu.id
    return names


def normalize_gpu_model(name: str) -> str | None:
    """The canonical GPU ID for a canonical ID or vendor alias (case-insensitive), else None."""
    return _gpu_names().get(name.strip().lower())


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice most similar to ``name`` (case-insensitive), or None when nothing is close."""
    options = {choice.lower(): choice for choice in choices}
    found = difflib.get_close_matches(name.strip().lower(), list(options), n=1, cutoff=0.5)
    return options[found[0]] if found else None
