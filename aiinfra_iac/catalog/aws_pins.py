"""The AWS pins table (``catalog/data/aws_pins.yaml``): EKS versions with their support dates,
the EKS AMI release, EKS add-on and chart versions, each with its release date and source."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class EksVersion:
    version: str
    released: dt.date
    end_standard: dt.date
    end_extended: dt.date

    def support(self, today: dt.date) -> str:
        """``standard``, ``extended`` (extra cost per cluster hour) or ``ended``."""
        if today <= self.end_standard:
            return "standard"
        return "extended" if today <= self.end_extended else "ended"


@dataclass(frozen=True)
class AddonPin:
    name: str
    version: str
    released: dt.date
    source: str
    service_account: str | None = None
    policy: str | None = None


@dataclass(frozen=True)
class EksAmiPin:
    release: str
    released: dt.date
    source: str
    gpu_parameter: str
    cpu_parameter: str
    recommended_parameter: str

    def parameter(self, kubernetes_version: str, *, gpu: bool) -> str:
        template = self.gpu_parameter if gpu else self.cpu_parameter
        return template.format(version=kubernetes_version, release=self.release)


@dataclass(frozen=True)
class AwsPins:
    eks_default: str
    eks_source: str
    eks_versions: tuple[EksVersion, ...]
    eks_ami: EksAmiPin
    addons: tuple[AddonPin, ...]
    charts: tuple[AddonPin, ...]
    dlami_gpu_parameter: str
    dlami_cpu_parameter: str

    def eks_version(self, version: str) -> EksVersion | None:
        return next((v for v in self.eks_versions if v.version == version), None)

    def addon(self, name: str) -> AddonPin:
        return next(a for a in self.addons if a.name == name)

    def chart(self, name: str) -> AddonPin:
        return next(c for c in self.charts if c.name == name)


def _pin(raw: dict[str, Any]) -> AddonPin:
    return AddonPin(
        name=str(raw["name"]),
        version=str(raw["version"]),
        released=raw["released"],
        source=str(raw["source"]),
        service_account=raw.get("service_account"),
        policy=raw.get("policy"),
    )


@cache
def load_aws_pins() -> AwsPins:
    text = resources.files("aiinfra_iac.catalog").joinpath("data/aws_pins.yaml").read_text()
    raw = yaml.safe_load(text)
    eks = raw["eks_versions"]
    ami = raw["eks_ami"]
    return AwsPins(
        eks_default=str(eks["default"]),
        eks_source=str(eks["source"]),
        eks_versions=tuple(
            EksVersion(str(v["version"]), v["released"], v["end_standard"], v["end_extended"])
            for v in eks["versions"]
        ),
        eks_ami=EksAmiPin(
            release=str(ami["release"]),
            released=ami["released"],
            source=str(ami["source"]),
            gpu_parameter=str(ami["gpu_parameter"]),
            cpu_parameter=str(ami["cpu_parameter"]),
            recommended_parameter=str(ami["recommended_parameter"]),
        ),
        addons=tuple(_pin(a) for a in raw["eks_addons"]),
        charts=tuple(_pin(c) for c in raw["charts"]),
        dlami_gpu_parameter=str(raw["dlami"]["gpu_parameter"]),
        dlami_cpu_parameter=str(raw["dlami"]["cpu_parameter"]),
    )
