"""--tags: the table in aiinfra_iac.configure.tags is the one roles/site.yml tags its role includes with."""

from __future__ import annotations

import re

import pytest
from ruamel.yaml import YAML

from aiinfra_iac.configure.roles import ROLE_ORDER
from aiinfra_iac.configure.tags import CONFIGURE_TAGS, ROLE_TAGS, parse_tags, roles_for_tags
from aiinfra_iac.errors import UsageError
from aiinfra_iac.resources import bundled_path


def test_table_matches_the_tags_of_site_yml() -> None:
    play = YAML(typ="safe").load((bundled_path("roles") / "site.yml").read_text())[0]
    key = "ansible.builtin.include_role"
    in_site = {task[key]["name"]: tuple(task["tags"]) for task in play["tasks"] if key in task}
    assert in_site == dict(ROLE_TAGS)
    assert set(ROLE_TAGS) == set(ROLE_ORDER)


def test_parse_keeps_order_and_drops_repeats() -> None:
    assert parse_tags(" nccl,slurm , nccl,") == ("nccl", "slurm")


@pytest.mark.parametrize(
    ("text", "message"), [("fabric", "unknown concern(s) fabric"), (",", "name one or more")]
)
def test_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)) as raised:
        parse_tags(text)
    if "unknown" in message:
        assert ", ".join(CONFIGURE_TAGS) in str(raised.value)


def test_roles_for_tags() -> None:
    pool = ["host_tuning", "nvidia_driver", "rdma_infiniband", "nccl", "slurm"]
    assert roles_for_tags(pool, ()) == pool
    assert roles_for_tags(pool, ("rdma",)) == ["rdma_infiniband"]
    assert roles_for_tags(pool, ("nccl", "tuning")) == ["host_tuning", "nccl"]
    assert roles_for_tags(pool, ("efa",)) == []
