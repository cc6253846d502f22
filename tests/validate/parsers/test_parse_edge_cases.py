"""Small hand-written inputs for the corners of each parser."""

from __future__ import annotations

import json

import pytest

from aiinfra_iac.validate.parsers import (
    collective_from_name,
    detect_transports_in_text,
    parse_dcgm_diag,
    parse_gpu_burn,
    parse_nccl_tests,
    parse_perftest,
)
from aiinfra_iac.validate.parsers._lines import strip_launcher_prefix, to_int

HEADER = (
    "#       size         count      type   redop    root     time   algbw   busbw #wrong"
    "     time   algbw   busbw #wrong\n"
    "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)        "
    "    (us)  (GB/s)  (GB/s)\n"
)
ROW_1G = (
    "  1073741824     268435456     float     sum      -1   4521.3  237.49  415.60      0"
    "   4519.8  237.56  415.74      0"
)
ROW_2G = (
    "  2147483648     536870912     float     sum      -1   8901.2  241.26  422.21      0"
    "   8899.0  241.32  422.31      0"
)
FOOTER = "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : 418.965 \n#\n"


def _table(*rows: str) -> str:
    return HEADER + "\n".join(rows) + "\n" + FOOTER


@pytest.mark.parametrize(
    ("line", "stripped"),
    [
        ("[1,12]<stdout>:#  Rank 12 Group", "#  Rank 12 Group"),
        ("[1,0]<stderr>:NCCL WARN x", "NCCL WARN x"),
        ("0: # Avg bus bandwidth", "# Avg bus bandwidth"),
        ("  12: data", "data"),
        ("           0             0     float", "           0             0     float"),
        ("host-1:22:22 [0] NCCL INFO x", "host-1:22:22 [0] NCCL INFO x"),
    ],
)
def test_launcher_prefixes(line: str, stripped: str) -> None:
    assert strip_launcher_prefix(line) == stripped


def test_to_int_accepts_g_format() -> None:
    assert to_int("1e+06") == 1_000_000
    assert to_int("N/A") is None
    assert to_int("1.5") is None


@pytest.mark.parametrize("prefix", ["", "0: ", "[1,0]<stdout>:"])
def test_prefixed_table_with_crlf(prefix: str) -> None:
    text = "\r\n".join(prefix + line for line in _table(ROW_1G, ROW_2G).split("\n"))
    run = parse_nccl_tests(text, collective="all_reduce")
    assert run.problems == ()
    assert run.largest is not None and run.largest.oop_busbw_gbps == 422.21
    assert run.avg_busbw_gbps == pytest.approx(418.965) and run.collective == "all_reduce"


def test_elisions_and_interleaved_info_lines() -> None:
    text = (
        HEADER
        + "...\nh1:1:1 [0] NCCL INFO Launch mode Parallel\n"
        + ROW_1G
        + "\n…\n"
        + ROW_2G
        + "\n"
        + FOOTER
    )
    run = parse_nccl_tests(text)
    assert [r.size_bytes for r in run.rows] == [1 << 30, 2 << 30] and run.problems == ()


def test_wrong_count_in_g_format_and_oob_failed() -> None:
    row = ROW_2G[:-1] + "1e+06"
    text = HEADER + ROW_1G + "\n" + row + "\n# Out of bounds values : 12 FAILED\n# Avg bus bandwidth : 1.0\n"
    run = parse_nccl_tests(text)
    assert run.out_of_bounds == 12
    assert run.rows[1].ip_wrong == 1_000_000 and run.wrong_total == 1_000_000


def test_row_cut_mid_line_and_no_footer() -> None:
    run = parse_nccl_tests(HEADER + ROW_1G + "\n" + ROW_2G[:60])
    assert len(run.rows) == 1
    assert "cut short" in run.problems[0] and "footer" in run.problems[1]


def test_timestamp_column_is_ignored() -> None:
    header = HEADER.replace("#wrong\n", "#wrong timestamp\n", 1)
    run = parse_nccl_tests(header + ROW_1G + "  2026-11-25 10:11:12\n" + FOOTER)
    assert run.problems == () and run.rows[0].ip_wrong == 0


@pytest.mark.parametrize(
    "text",
    ["", "garbage\n", "{not json", "[1, 2]", '{"results": 3}', '{"results": [{"size": 8}]}', "\x00\r\r\n#"],
)
def test_nccl_never_raises_and_says_why(text: str) -> None:
    run = parse_nccl_tests(text)
    assert run.rows == () and run.problems


def test_nccl_json_missing_in_place_and_footer() -> None:
    doc = {
        "results": [
            {
                "size": 1024,
                "count": 256,
                "type": "float",
                "redop": "sum",
                "root": "    -1",
                "out_of_place": {"time": 10.0, "alg_bw": 0.1, "bus_bw": 0.2, "nwrong": None},
                "in_place": None,
            }
        ]
    }
    run = parse_nccl_tests(json.dumps(doc))
    assert run.rows[0].ip_busbw_gbps is None and run.rows[0].oop_wrong is None and run.rows[0].root == -1
    assert any("out_of_bounds" in p for p in run.problems)


@pytest.mark.parametrize(
    ("name", "collective"),
    [
        ("all_reduce_perf", "all_reduce"),
        ("/opt/nccl-tests/build/alltoall_perf_mpi", "alltoall"),
        ("nccl_reduce_scatter.log", "reduce_scatter"),
        ("random.log", None),
    ],
)
def test_collective_from_name(name: str, collective: str | None) -> None:
    assert collective_from_name(name) == collective


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            [
                "h:1:2 [0] NCCL INFO NET/IB : Using [0]mlx5_0:1/RoCE [1]mlx5_1:1/RoCE ; OOB eth0:1.2.3.4<0>",
                "h:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 8[0] [send] via NET/IB/0/GDRDMA",
            ],
            {"NET/RoCE"},
        ),
        (
            [
                "h:1:2 [0] NCCL INFO NET/IB : Using [0]mlx5_0:1/IB [1]mlx5_4:1/RoCE ; OOB eth0",
                "h:1:2 [0] NCCL INFO Using network IB",
            ],
            {"NET/IB"},
        ),
        (["h:1:2 [0] NCCL INFO NET/OFI Selected Provider is efa (found 4 nics)"], {"NET/OFI"}),
        (["h:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[0] [send] via NET/Libfabric/0/GDRDMA"], {"NET/OFI"}),
        (["h:1:2 [0] NCCL INFO NET/Socket : Using [0]eth0:10.0.0.1<0>"], {"NET/Socket"}),
        (["h:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via SHM/direct/direct"], {"SHM"}),
        (["h:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via P2P/IPC/read"], {"P2P"}),
        (["h:1:2 [0] NCCL INFO NVLS multicast support is not available on dev 0"], set()),
        (["h:1:2 [0] NCCL INFO Channel 00/1 : 0[0] -> 1[1] via NVLS"], {"NVLS"}),
        (["h:1:2 [0] NCCL INFO Channel 00/0 : 0[0] -> 1[1] via COLLNET/IB/0"], {"COLLNET"}),
        (["h:1:2 [0] NCCL INFO Bootstrap : Using eth0:10.0.0.1<0>"], set()),
    ],
)
def test_transport_detection(lines: list[str], expected: set[str]) -> None:
    assert detect_transports_in_text("\n".join(lines)) == frozenset(expected)


def test_gpu_burn_repainted_progress_and_faulty_exit_zero() -> None:
    text = (
        "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1)\nGPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-2)\n"
        "\r50.0%  proc'd: 100 (51000 Gflop/s) - 100 (50000 Gflop/s)   errors: 0 - 17  (WARNING!)"
        "   temps: 60 C - 61 C "
        "\r100.0%  proc'd: 200 (51200 Gflop/s) - 200 (0 Gflop/s)   errors: 0 - 4  (WARNING!)"
        "   temps: 60 C - 61 C "
        "\nKilling processes with SIGTERM (soft kill)\ndone\n\nTested 2 GPUs:\n\tGPU 0: OK\n\tGPU 1: FAULTY\n"
    )
    burn = parse_gpu_burn(text)
    assert [(g.status, g.gflops) for g in burn.gpus] == [("OK", 51200.0), ("FAULTY", 50000.0)]
    assert burn.problems == ()


def test_gpu_burn_missing_status_lines() -> None:
    burn = parse_gpu_burn("Tested 4 GPUs:\n\tGPU 0: OK\n\tGPU 1: OK\n")
    assert len(burn.gpus) == 2 and "4 GPUs" in burn.problems[0]


def test_gpu_burn_cuda_error_line() -> None:
    burn = parse_gpu_burn(
        'Failure during compute: Error in "SGEMM" (gpu_burn-drv.cpp:300): an illegal memory access\n'
    )
    assert burn.errors and burn.problems


def test_perftest_report_gbits_and_mib() -> None:
    head = " #bytes     #iterations    BW peak[{u}]    BW average[{u}]   MsgRate[Mpps]\n"
    gb = parse_perftest(
        head.format(u="Gb/sec")
        + " 65536      5000             392.54             391.87             0.747432\n"
    )
    mib = parse_perftest(
        head.format(u="MB/sec") + " 65536      5000             46712.33            46690.18		   0.7\n"
    )
    assert gb.rows[0].bw_avg_gbps == 391.87
    assert mib.rows[0].bw_avg_gbps == pytest.approx(46690.18 * 2**20 * 8 / 1e9)  # = 391.67 Gb/s
    assert gb.problems == () and mib.problems == ()


@pytest.mark.parametrize("text", ["", "hello", " #bytes     #iterations    BW peak[Gb/sec]\n 65536 x y\n"])
def test_perftest_never_raises(text: str) -> None:
    assert parse_perftest(text).problems


def test_dcgm3_gpu_ids_and_string_warnings() -> None:
    doc = {
        "DCGM GPU Diagnostic": {
            "test_categories": [
                {
                    "category": "Hardware",
                    "tests": [
                        {
                            "name": "GPU Memory",
                            "results": [
                                {"gpu_ids": "0,1", "status": "Pass"},
                                {"gpu_ids": [2], "status": "Fail", "warnings": "row remap pending"},
                                {"gpu_id": "3", "status": "Not Run"},
                                {"gpu_id": "4", "status": "Bogus"},
                            ],
                        }
                    ],
                }
            ]
        },
        "version": "3.1.7",
    }
    result = parse_dcgm_diag("dcgmi output follows\n" + json.dumps(doc))
    assert result.version == "3.1.7"
    by_status = {t.status: (t.gpu_ids, t.info) for t in result.tests}
    assert by_status["pass"] == ((0, 1), "")
    assert by_status["fail"] == ((2,), "row remap pending")
    assert by_status["skip"] == ((3,), "")
    assert by_status["unknown"][0] == (4,)
    assert any("unknown status 'Bogus'" in p for p in result.problems)


def test_dcgm4_non_gpu_entities_and_summary_only() -> None:
    doc = {
        "DCGM Diagnostic": {
            "test_categories": [
                {
                    "category": "Hardware",
                    "tests": [
                        {
                            "name": "cpu_eud",
                            "results": [{"entity_group": "CPU", "entity_id": 0, "status": "Pass"}],
                        },
                        {"name": "memory", "test_summary": {"status": "Skip"}},
                    ],
                }
            ]
        },
        "metadata": {"version": "4.0.0"},
    }
    result = parse_dcgm_diag(json.dumps(doc))
    assert [(t.name, t.status, t.gpu_ids) for t in result.tests] == [
        ("cpu_eud", "pass", ()),
        ("memory", "skip", ()),
    ]
    assert result.problems == ()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no JSON object"),
        ("{]", "invalid or truncated"),
        ("[1]", "no JSON object"),
        ('{"other": 1}', "no 'DCGM Diagnostic'"),
        ('{"DCGM Diagnostic": {}}', "has no 'test_categories'"),
        ('{"DCGM Diagnostic": {"test_categories": {}}}', "is not a list"),
        ('{"DCGM Diagnostic": {"test_categories": [{"category": "x"}]}}', "has no 'tests' list"),
        ('{"DCGM Diagnostic": {"test_categories": [{"tests": [{"name": "t"}]}]}}', "has no 'results' list"),
        ('{"iterations": [], "Overall Result": "Fail", "warning": "host engine down"}', "empty 'iterations'"),
    ],
)
def test_dcgm_malformed(text: str, problem: str) -> None:
    result = parse_dcgm_diag(text)
    assert result.tests == ()
    assert any(problem in p for p in result.problems), result.problems


@pytest.mark.parametrize(
    ("title", "test"),
    [
        ("RDMA_Write BW Test", "ib_write_bw"),
        ("RDMA_Read BW Test", "ib_read_bw"),
        ("Send BW Test", "ib_send_bw"),
        ("Send Latency Test", "ib_send_lat"),
        ("RDMA_Write Latency Test", "ib_write_lat"),
    ],
)
def test_perftest_test_names(title: str, test: str) -> None:
    text = f"                    {title}\n Dual-port       : OFF\t\tDevice         : mlx5_3\n"
    result = parse_perftest(text)
    assert result.test == test and result.device == "mlx5_3"
    assert result.problems  # no result table


def test_perftest_qos_table_skips_the_sl_column() -> None:
    text = (
        " #bytes    #sl      #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]\n"
        " 65536      3           5000           196.20            195.90                  0.373650\n"
    )
    row = parse_perftest(text).rows[0]
    assert (row.size_bytes, row.iterations, row.bw_avg_gbps) == (65536, 5000, 195.90)


def test_socket_device_line_next_to_working_ib_is_not_a_fallback() -> None:
    text = (
        "h:1:1 [0] NCCL INFO NET/Socket : Using [0]ib0:10.0.0.1<0>\n"
        "h:1:1 [0] NCCL INFO NET/IB : Using [0]mlx5_0:1/IB ; OOB ib0:10.0.0.1<0>\n"
        "h:1:9 [0] NCCL INFO Channel 00/0 : 0[0] -> 8[0] [send] via NET/IB/0/GDRDMA\n"
    )
    assert detect_transports_in_text(text) == frozenset({"NET/IB"})
    assert detect_transports_in_text(
        text + "h:1:9 [0] NCCL INFO Channel 01/0 : 0[0] -> 8[0] via NET/Socket/0\n"
    ) == (frozenset({"NET/IB", "NET/Socket"}))
