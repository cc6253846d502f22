"""--tags: the concerns come from the tags roles/site.yml puts on its role includes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aiinfra_iac.configure.roles import ROLE_ORDER
from aiinfra_iac.configure.tags import configure_tags, parse_tags, role_tags, roles_for_tags
from aiinfra_iac.errors import UsageError
from aiinfra_iac.resources import bundled_path

SITE = bundled_path("roles") / "site.yml"


def test_every_role_of_site_yml_has_its_concerns() -> None:
    table = role_tags(SITE)
    assert tuple(table) == ROLE_ORDER
    assert table["roce"] == ("rdma", "roce") and table["host_tuning"] == ("tuning",)
    assert configure_tags(SITE) == (
        "dpu", "driver", "efa", "infiniband", "nccl", "observability",
        "rdma", "roce", "slurm", "storage", "tuning", "validation",
    )  # fmt: skip


def test_a_tag_added_to_the_playbook_is_known_without_another_list(tmp_path: Path) -> None:
    playbook = tmp_path / "site.yml"
    text = SITE.read_text().replace("tags: [nccl]", "tags: [nccl, comms]")
    playbook.write_text(text)
    assert parse_tags("comms", playbook) == ("comms",)
    assert roles_for_tags(list(ROLE_ORDER), ("comms",), playbook) == ["nccl"]


def test_parse_keeps_order_and_drops_repeats() -> None:
    assert parse_tags(" nccl,slurm , nccl,", SITE) == ("nccl", "slurm")


@pytest.mark.parametrize(
    ("text", "message"), [("fabric", "unknown concern(s) fabric"), (",", "name one or more")]
)
def test_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)) as raised:
        parse_tags(text, SITE)
    assert ", ".join(configure_tags(SITE)) in str(raised.value)


def test_roles_for_tags() -> None:
    pool = ["host_tuning", "nvidia_driver", "rdma_infiniband", "nccl", "slurm"]
    assert roles_for_tags(pool, (), SITE) == pool
    assert roles_for_tags(pool, ("rdma",), SITE) == ["rdma_infiniband"]
    assert roles_for_tags(pool, ("nccl", "tuning"), SITE) == ["host_tuning", "nccl"]
    assert roles_for_tags(pool, ("efa",), SITE) == []
