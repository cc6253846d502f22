"""One parser per tool output; pure functions from text to the records in :mod:`.types`.

Every parser returns a record and never raises: unreadable or truncated input is reported in the
record's ``problems``.
"""

from .dcgm import parse_dcgm_diag
from .gpu_burn import parse_gpu_burn
from .nccl import collective_from_name, parse_nccl_tests
from .nccl_debug import detect_transports, detect_transports_in_text
from .perftest import parse_perftest

__all__ = [
    "collective_from_name",
    "detect_transports",
    "detect_transports_in_text",
    "parse_dcgm_diag",
    "parse_gpu_burn",
    "parse_nccl_tests",
    "parse_perftest",
]
