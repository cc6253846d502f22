"""The offline renderer: secrets never reach the plan, errors never reach the user as tracebacks."""

from __future__ import annotations

import json

import pytest

from aiinfra_iac.blueprint.models import Provider
from aiinfra_iac.errors import ProvisionError
from aiinfra_iac.provision.offline import (
    REDACTED,
    SECRET_SIG,
    SIG_KEY,
    clean_inputs,
    render_offline,
    render_program,
)

from .plans import aws_p5_eks, onprem


def test_clean_inputs_redacts_secrets_and_credential_keys_and_keeps_ints() -> None:
    raw = {
        "userData": {SIG_KEY: SECRET_SIG, "value": "hunter2"},
        "password": "hunter2",
        "httpTokens": "required",
        "count": 32.0,
        "ratio": 0.5,
        "nested": [{"apiToken": "abc"}, {"name": "ok"}],
    }
    cleaned = clean_inputs(raw)
    assert cleaned["userData"] == REDACTED and cleaned["password"] == REDACTED
    assert cleaned["httpTokens"] == "required"  # not a credential, despite the word
    assert cleaned["count"] == 32 and isinstance(cleaned["count"], int) and cleaned["ratio"] == 0.5
    assert cleaned["nested"] == [{"apiToken": REDACTED}, {"name": "ok"}]


def test_secret_outputs_are_redacted_in_a_real_render() -> None:
    def program() -> None:
        import pulumi
        import pulumi_aws as aws

        aws.ec2.Instance("box", instance_type="m7i.large", user_data=pulumi.Output.secret("s3cr3t-bootstrap"))

    resources = render_program(program, stack="secrets")
    assert [r.type for r in resources] == ["aws:ec2/instance:Instance"]
    assert resources[0].inputs["userData"] == REDACTED
    assert "s3cr3t-bootstrap" not in json.dumps([r.as_json() for r in resources])


def test_a_failing_program_becomes_a_provision_error() -> None:
    def program() -> None:
        raise RuntimeError("component bug")

    with pytest.raises(ProvisionError, match="component bug"):
        render_program(program, stack="broken")


def test_aws_without_an_availability_zone_is_a_clear_error() -> None:
    plan = aws_p5_eks().model_copy(update={"provider": Provider(type="aws", region="us-east-1")})
    with pytest.raises(ProvisionError, match="availabilityZone"):
        render_offline(plan)


def test_hosts_providers_render_nothing_without_touching_pulumi() -> None:
    assert render_offline(onprem(10_240)) == []


def test_inputs_are_json_serialisable_and_sorted_by_name() -> None:
    resources = render_offline(aws_p5_eks())
    json.dumps(resources)
    names = [r["name"] for r in resources]
    assert names == sorted(names)


def test_render_leaves_no_event_loop_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pulumi's mock monitor made a loop on each executor thread and never closed it; at exit the
    garbage collector now and then printed "Exception ignored … Traceback" on stderr of `plan`."""
    import asyncio

    created: list[asyncio.AbstractEventLoop] = []
    real_new_event_loop = asyncio.new_event_loop

    def recording_new_event_loop() -> asyncio.AbstractEventLoop:
        loop = real_new_event_loop()
        created.append(loop)
        return loop

    monkeypatch.setattr(asyncio, "new_event_loop", recording_new_event_loop)
    assert render_offline(aws_p5_eks())
    assert len(created) >= 2  # the runtime's loop and at least one executor thread's loop
    assert [loop for loop in created if not loop.is_closed()] == []
