"""The provider registry: one conforming entry per provider type of the blueprint model."""

from __future__ import annotations

import typing

import pytest

from aiinfra_iac.blueprint.models import ProviderType
from aiinfra_iac.provision.providers import PROVIDERS, ProvisionProvider, provider_for

from .plans import aws_p5_eks, k8s_ib, onprem


def test_every_blueprint_provider_type_is_registered() -> None:
    assert set(PROVIDERS) == set(typing.get_args(ProviderType))


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_registered_providers_conform_to_the_protocol(name: str) -> None:
    provider = PROVIDERS[name]
    assert isinstance(provider, ProvisionProvider)
    assert provider.name == name
    assert isinstance(provider.creates_cloud_resources, bool)


def test_only_cloud_providers_create_resources() -> None:
    assert {n for n, p in PROVIDERS.items() if p.creates_cloud_resources} == {"aws", "kubernetes"}


def test_provider_for_routes_by_plan_provider_type() -> None:
    assert provider_for(aws_p5_eks()).name == "aws"
    assert provider_for(k8s_ib()).name == "kubernetes"
    assert provider_for(onprem()).name == "onprem"


def test_descriptions_name_what_happens() -> None:
    assert "us-east-1a" in provider_for(aws_p5_eks()).describe(aws_p5_eks())
    assert "prod" in provider_for(k8s_ib()).describe(k8s_ib())
    sentence = provider_for(onprem(7)).describe(onprem(7))
    assert sentence.startswith("nothing to create") and "7 node(s)" in sentence
