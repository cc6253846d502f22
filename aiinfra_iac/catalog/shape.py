"""Shape checks of catalog data: typed getters that name the file and entry on every error."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar, cast

from aiinfra_iac.errors import AiinfraError

T = TypeVar("T")


class CatalogDataError(AiinfraError):
    """A catalog data file is missing or malformed (a defect of the toolkit, not of the blueprint)."""


# --------------------------------------------------------------------------- shape checks


class Entry:
    """One mapping of a data file, with typed getters that name the file and entry on error."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise CatalogDataError(f"{where}: expected a mapping, got {type(data).__name__}")
        self.data: dict[str, Any] = data
        self.where = where

    def _get(self, key: str, types: type | tuple[type, ...], optional: bool = False) -> Any:
        if key not in self.data:
            raise CatalogDataError(f"{self.where}: missing key '{key}'")
        value = self.data[key]
        if value is None and optional:
            return None
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise CatalogDataError(f"{self.where}: '{key}' must not be a boolean")
        if not isinstance(value, types):
            raise CatalogDataError(f"{self.where}: '{key}' has type {type(value).__name__}, expected {types}")
        return value

    def get_str(self, key: str) -> str:
        return cast(str, self._get(key, str))

    def get_opt_str(self, key: str) -> str | None:
        return cast("str | None", self._get(key, str, optional=True))

    def get_int(self, key: str, minimum: int = 0) -> int:
        value = cast(int, self._get(key, int))
        if value < minimum:
            raise CatalogDataError(f"{self.where}: '{key}' is {value}, must be >= {minimum}")
        return value

    def get_opt_int(self, key: str) -> int | None:
        return cast("int | None", self._get(key, int, optional=True))

    def get_float(self, key: str) -> float:
        value = float(self._get(key, (int, float)))
        if value < 0:
            raise CatalogDataError(f"{self.where}: '{key}' is negative")
        return value

    def get_bool(self, key: str) -> bool:
        return cast(bool, self._get(key, bool))

    def get_list(self, key: str) -> list[Any]:
        return cast("list[Any]", self._get(key, list))

    def get_str_list(self, key: str) -> tuple[str, ...]:
        items = self.get_list(key)
        for item in items:
            if not isinstance(item, str):
                raise CatalogDataError(f"{self.where}: '{key}' must list strings, found {item!r}")
        return tuple(items)

    def sources(self) -> tuple[str, ...]:
        urls = self.get_str_list("sources")
        if not urls or not all(url.startswith("https://") for url in urls):
            raise CatalogDataError(f"{self.where}: 'sources' must list at least one https:// URL")
        return urls


def entries(data: Mapping[str, Any], key: str, file: str) -> list[Entry]:
    items = data.get(key)
    if not isinstance(items, list):
        raise CatalogDataError(f"{file}: top-level '{key}' must be a list")
    return [Entry(item, f"{file}: {key}[{index}]") for index, item in enumerate(items)]


def index(records: Iterable[T], key: str, file: str) -> dict[str, T]:
    out: dict[str, T] = {}
    for record in records:
        name = getattr(record, key)
        if name in out:
            raise CatalogDataError(f"{file}: duplicate {key} '{name}'")
        out[name] = record
    return out
