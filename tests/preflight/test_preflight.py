"""Preflight against a real AWS API emulator (moto_server on 127.0.0.1).

Moto serves instance type offerings per AZ, instance types and images, but (measured, moto 5.2)
not DescribeCapacityReservations or DescribePlacementGroups (HTTP 500), EC2 quotas in Service
Quotas (NoSuchResourceException) or the public EKS AMI / DLAMI SSM parameters. Those checks come
back "unverified" from the CLI; the tests that need answers replace that one call with a fake
named for it (``FakeReservations``, ``fake_quota``).
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from aiinfra_iac.catalog.aws_pins import load_aws_pins
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.preflight.aws_api import Boto3Api, Reservation
from aiinfra_iac.preflight.checks import run_preflight
from aiinfra_iac.preflight.report import PreflightReport

REPO = Path(__file__).resolve().parents[2]
P5 = REPO / "blueprints" / "h100-p5-eks-fsx-training.yaml"
TODAY = dt.date(2026, 12, 3)
START = dt.datetime(2026, 12, 10, 11, 30, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 24, 11, 30, tzinfo=dt.UTC)

BLUEPRINT = """apiVersion: aiinfra/v1
kind: Cluster
metadata: {{name: pf-test}}
spec:
  provider: {{type: aws, region: us-east-1, availabilityZone: {zone}}}
  nodePools:
    - name: train
      instanceType: {itype}
      count: 4
      capacity: {capacity}
      fabric: efa
  fabrics: [{{name: efa, type: efa}}]
  scheduler: {{type: kubernetes, kubernetes: {{version: "1.35"}}}}
"""


def write(
    tmp_path: Path, *, zone: str = "us-east-1a", itype: str = "p5.48xlarge", capacity: str = "{}"
) -> Path:
    path = tmp_path / "bp.yaml"
    path.write_text(BLUEPRINT.format(zone=zone, itype=itype, capacity=capacity))
    return path


def cli(path: Path, env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**env, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "aiinfra_iac.cli", "preflight", str(path), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


class FakeReservations(Boto3Api):
    """Moto's EC2 for everything, except DescribeCapacityReservations and GetServiceQuota (fakes)."""

    reservations: dict[str, Reservation] = {}
    quotas: dict[str, float] = {}

    def reservation(self, reservation_id: str) -> Reservation | None:
        return self.reservations.get(reservation_id)

    def quota(self, quota_code: str) -> float:  # fake_quota
        return self.quotas[quota_code]


def fake_api(reservations: dict[str, Reservation], quotas: dict[str, float]) -> FakeReservations:
    api = FakeReservations("us-east-1")
    api.reservations = reservations
    api.quotas = quotas
    return api


def block(**changes: object) -> Reservation:
    values: dict[str, object] = {
        "id": "cr-0a1b2c3d4e5f60718",
        "instance_type": "p5.48xlarge",
        "availability_zone": "us-east-1a",
        "total_count": 4,
        "state": "scheduled",
        "reservation_type": "capacity-block",
        "start": START,
        "end": END,
        "placement_group_arn": None,
    }
    values.update(changes)
    return Reservation(**values)  # type: ignore[arg-type]


def problems(report: PreflightReport) -> list[str]:
    return [f"{f.id} {f.resource}: {f.message}" for f in report.findings if f.status == "problem"]


CAPACITY_BLOCK = "{type: capacity-block, reservationId: cr-0a1b2c3d4e5f60718}"


def run(path: Path, api: Boto3Api) -> PreflightReport:
    plan, _ = plan_from_file(path)
    return run_preflight(plan, api, load_aws_pins(), TODAY)


def test_shipped_p5_blueprint_passes_and_names_what_moto_cannot_answer(aws_env: dict[str, str]) -> None:
    done = cli(P5, aws_env, "--format", "json")
    assert done.returncode == 0, done.stderr + done.stdout
    document = json.loads(done.stdout)
    assert document["ok"] is True and document["schemaVersion"] == 1
    unverified = {c["resource"] for c in document["checks"] if c["status"] == "unverified"}
    assert "cr-0a1b2c3d4e5f60718" in unverified
    offered = {c["resource"] for c in document["checks"] if c["id"] == "PF101" and c["status"] == "ok"}
    assert offered == {"p5.48xlarge", "m6i.xlarge"}


def test_type_not_offered_in_zone_exits_1_naming_type_and_zone(
    aws_env: dict[str, str], tmp_path: Path
) -> None:
    # moto (like AWS) offers p4d.24xlarge in us-east-1a-d only
    done = cli(write(tmp_path, zone="us-east-1e", itype="p4d.24xlarge"), aws_env)
    assert done.returncode == 1, done.stderr + done.stdout
    lines = [x for x in done.stdout.splitlines() if x.startswith("PROBLEM") and "p4d.24xlarge" in x]
    assert len(lines) == 1 and "PF101" in lines[0] and "us-east-1e" in lines[0], done.stdout


def test_no_credentials_exits_2_in_one_sentence(moto_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=moto_url, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null"
    )
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    done = cli(write(tmp_path), env)
    assert done.returncode == 2
    assert "no AWS credentials" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_good_capacity_block_is_ok_and_gives_the_schedule(aws_env: dict[str, str], tmp_path: Path) -> None:
    api = fake_api({"cr-0a1b2c3d4e5f60718": block()}, {})
    report = run(write(tmp_path, capacity=CAPACITY_BLOCK), api)
    assert report.ok, problems(report)
    assert [(s.pool, s.start, s.end) for s in report.schedule] == [
        ("train", "2026-12-10T11:30:00Z", "2026-12-24T11:30:00Z")
    ]
    assert any(f.id == "PF111" and f.status == "warning" for f in report.findings)


@pytest.mark.parametrize(
    ("reservation", "check_id", "words"),
    [
        (None, "PF103", ["cr-0a1b2c3d4e5f60718", "does not exist"]),
        (block(availability_zone="us-east-1c"), "PF105", ["cr-0a1b2c3d4e5f60718", "us-east-1c"]),
        (block(state="expired"), "PF104", ["cr-0a1b2c3d4e5f60718", "expired"]),
        (block(total_count=2), "PF106", ["holds 2", "wants 4"]),
        (
            block(placement_group_arn="arn:aws:ec2:us-east-1:123456789012:placement-group/ultra-1"),
            "PF107",
            ["ultra-1"],
        ),
    ],
)
def test_reservation_problems_exit_1_naming_it(
    aws_env: dict[str, str], tmp_path: Path, reservation: Reservation | None, check_id: str, words: list[str]
) -> None:
    found = {"cr-0a1b2c3d4e5f60718": reservation} if reservation else {}
    report = run(write(tmp_path, capacity=CAPACITY_BLOCK), fake_api(found, {}))
    assert not report.ok
    hits = [p for p in problems(report) if p.startswith(check_id)]
    assert hits and all(word in hits[0] for word in words), problems(report)


def test_quota_too_small_is_a_problem_naming_the_quota(aws_env: dict[str, str], tmp_path: Path) -> None:
    # 4 x p5.48xlarge on demand = 768 vCPUs against a P quota of 384
    report = run(write(tmp_path), fake_api({}, {"L-417A185B": 384.0, "L-1216C47A": 1000.0}))
    assert [p for p in problems(report) if p.startswith("PF102")] == [
        "PF102 service quota ec2/L-417A185B (Running On-Demand P instances): quota 384 vCPUs is below "
        "the 768 vCPUs the blueprint asks for"
    ]
    enough = run(write(tmp_path), fake_api({}, {"L-417A185B": 768.0, "L-1216C47A": 1000.0}))
    assert enough.ok, problems(enough)


def test_unsupported_eks_version_is_a_problem(aws_env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path)
    path.write_text(path.read_text().replace('version: "1.35"', 'version: "1.31"'))
    report = run(path, fake_api({}, {"L-417A185B": 1e6, "L-1216C47A": 1e6}))
    assert [p.split(":")[0] for p in problems(report)] == ["PF109 EKS 1.31"]


def test_missing_ami_is_a_problem(aws_env: dict[str, str], tmp_path: Path) -> None:
    path = write(tmp_path)
    path.write_text(path.read_text().replace("count: 4", "count: 4\n      imageId: ami-0123456789abcdef0"))
    report = run(path, fake_api({}, {"L-417A185B": 1e6, "L-1216C47A": 1e6}))
    assert [p.split(":")[0] for p in problems(report)] == ["PF108 ami-0123456789abcdef0"]


def test_up_gate_stops_on_problems_and_passes_a_good_plan(aws_env: dict[str, str], tmp_path: Path) -> None:
    from rich.console import Console

    from aiinfra_iac.preflight.gate import PreflightFailed, preflight_gate

    console = Console(file=open(tmp_path / "out.txt", "w"), width=200)  # noqa: SIM115
    plan, _ = plan_from_file(write(tmp_path, capacity=CAPACITY_BLOCK))
    with pytest.raises(PreflightFailed) as raised:
        preflight_gate(plan, console, fake_api({}, {}))
    assert raised.value.exit_code == 1 and "nothing was created" in str(raised.value)
    preflight_gate(plan, console, fake_api({"cr-0a1b2c3d4e5f60718": block()}, {}))


def test_credentials_of_another_account_exit_1_naming_both(aws_env: dict[str, str], tmp_path: Path) -> None:
    # moto's STS answers with its default account, 123456789012
    path = write(tmp_path)
    path.write_text(
        path.read_text().replace("region: us-east-1,", "region: us-east-1, accountId: '111111111111',")
    )
    done = cli(path, aws_env, "--format", "json")
    assert done.returncode == 1, done.stderr + done.stdout
    wrong = [c for c in json.loads(done.stdout)["checks"] if c["id"] == "PF112"]
    assert [c["status"] for c in wrong] == ["problem"]
    assert "123456789012" in wrong[0]["message"] and "111111111111" in wrong[0]["message"]
    path.write_text(path.read_text().replace("111111111111", "123456789012"))
    right = run(path, fake_api({}, {"L-417A185B": 1e6, "L-1216C47A": 1e6}))
    assert [f.status for f in right.findings if f.id == "PF112"] == ["ok"]
