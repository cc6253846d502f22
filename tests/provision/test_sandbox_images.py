"""Sandbox images: each distribution's debootstrap recipe, per-image cache and lock (no network here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aiinfra_iac.blueprint.models import Provider
from aiinfra_iac.provision import sandbox_images as images


def test_three_images_with_their_suites_and_mirrors() -> None:
    assert {n: (i.suite, i.distribution) for n, i in images.IMAGES.items()} == {
        "ubuntu-24.04": ("noble", "ubuntu"),
        "ubuntu-22.04": ("jammy", "ubuntu"),
        "debian-12": ("bookworm", "debian"),
    }
    assert images.IMAGES["ubuntu-22.04"].mirror.startswith("http://archive.ubuntu.com/ubuntu")
    # slurm-wlm, opensm, perftest and prometheus-node-exporter live in Ubuntu's universe.
    assert "universe" in images.IMAGES["ubuntu-24.04"].sources


def test_noble_is_built_with_the_gutsy_script(tmp_path: Path) -> None:
    cmd = images.debootstrap_command(images.image("ubuntu-24.04"), tmp_path / "root")
    assert cmd[-4:] == [
        "noble",
        str(tmp_path / "root"),
        images.IMAGES["ubuntu-24.04"].mirror,
        str(images.DEBOOTSTRAP_SCRIPTS / "gutsy"),
    ]
    assert "--components=main,universe" in cmd and cmd[1] == "--variant=minbase"


def test_each_image_has_its_own_tag_and_unknown_names_are_errors() -> None:
    tags = {i.tag() for i in images.IMAGES.values()}
    assert len(tags) == 3
    with pytest.raises(images.ImageError, match=re.escape("known: ubuntu-24.04, ubuntu-22.04, debian-12")):
        images.image("centos-7")


def test_blueprint_provider_image_field() -> None:
    provider = Provider.model_validate({"type": "local", "sandbox": "chroot", "image": "ubuntu-22.04"})
    assert provider.image == "ubuntu-22.04"
    with pytest.raises(ValueError, match="image"):
        Provider.model_validate({"type": "local", "sandbox": "chroot", "image": "fedora-40"})
