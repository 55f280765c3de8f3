"""The hostile inputs of the fuzz suite (issue 10 §2/§3) and one runner that classifies
each run: ``clean`` (exit 0 or 2, no traceback, data intact), ``traceback``, ``hang``
(over its time limit), ``loss`` (a good record at the output path damaged or replaced
by a failing run), ``badexit`` (any other exit code).

Used by ``tests/test_fuzz_*.py`` (every case must be clean) and by
``bench/fuzz_counts.py`` (prints the counts).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import traceback
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from damon_tui import cli

#: values typed where a number, time or size is expected
HOSTILE_NUMBERS = ["inf", "-inf", "nan", "NaN", "1e400", "-1e400", "9" * 5000, "-1", "-0",
                   "", " ", "99999999999999999999999", "18446744073709551616",
                   "18446744073709551615", "0x", "0x" + "f" * 40, "1e13", "5 ms s", "1,,,0",
                   "\x00", "\N{SNOWMAN}", "%", "max", "min", "0.0000001ns", "4K" * 50,
                   "--", "1e-400"]
#: time-like options of monitor/record (each also gets every HOSTILE_NUMBERS value)
TIME_OPTIONS = ["--duration", "--sample", "--aggr", "--update", "--every"]
#: integer options
INT_OPTIONS = ["--min-nr-regions", "--max-nr-regions", "--hottest", "--seed",
               "--access-rate"]
#: preset parameters fed hostile values through --param
PRESET_PARAMS = ["min_age", "quota_ms", "quota_sz", "quota_reset_interval_ms",
                 "wmarks_high", "wmarks_interval", "sample_interval", "aggr_interval",
                 "min_nr_regions", "max_nr_regions", "monitor_region_start",
                 "quota_mem_pressure_us", "hot_thres_access_freq"]
#: one-line schemes with hostile fields (7, 10, 13 and 18 fields)
HOSTILE_SCHEMES = [
    "4K max 0 0 inf max pageout",
    "4K 1e400 0 0 10s max pageout",
    "-4K max 0 0 10s max pageout",
    "4K max 0 0 10s max pageout 0 " + "9" * 5000 + " 1s",
    "4K max 0 0 10s max pageout 0 0 1s inf 1 1",
    "4K max nan nan 10s max stat",
    "max 4K 0 0 10s max stat",
    "4K max 0 0 10s max stat 0 0 1s 0 0 0 free_mem_rate 5s -1 500 100",
    "4K max 0 0 10s max stat 0 0 1s 0 0 0 free_mem_rate inf 900 500 100",
    "4K max 0 0 10s max bogus_action",
    "4K max 0 0",
    "; ; ;",
]
#: damo scheme JSON documents of the wrong shape
HOSTILE_SCHEME_JSON = [
    [{"action": "stat", "filters": ["anon"]}],
    [{"action": "stat", "filters": "anon"}],
    [{"action": "stat", "quotas": {"weights": "x"}}],
    [{"action": "stat", "quotas": "x"}],
    [{"action": "stat", "quotas": {"goals": [{"metric": "user_input", "target_value": 1e400}]}}],
    [{"action": "stat", "access_pattern": {"sz_bytes": {"min": -4096, "max": "max"}}}],
    [{"action": "stat", "access_pattern": {"sz_bytes": {"min": 2 ** 70, "max": "max"}}}],
    [{"action": "stat", "watermarks": {"metric": "free_mem_rate", "interval_us": "inf",
                                       "high_permil": 900, "mid_permil": 500,
                                       "low_permil": 100}}],
    {"schemes": "x"}, "x", 5, None, [[[[[]]]]],
]


@dataclass
class Case:
    """One run: ``argv`` (``{d}`` is the fixtures directory); ``subprocess`` for inputs
    that could hang or exhaust memory; ``output`` names a file that holds a good
    record before the run and must stay intact if the run fails."""

    name: str
    argv: list[str]
    subprocess: bool = False
    output: str | None = None
    timeout: float = 30.0
    tags: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class Outcome:
    case: Case
    kind: str  # clean | traceback | hang | loss | badexit
    code: int | None
    detail: str = ""


# -- fixtures ---------------------------------------------------------------------
def make_fixtures(d: Path) -> Path:
    """Write every hostile file into ``d``; returns ``d``."""
    d.mkdir(parents=True, exist_ok=True)
    good = d / "good.rec"
    with contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["record", "--sim", "zigzag", "--duration", "1s", "-o", str(good)]) == 0
    data = good.read_bytes()
    (d / "empty").write_bytes(b"")
    (d / "garbage").write_bytes(bytes(range(256)) * 8)
    (d / "truncated.rec").write_bytes(data[: len(data) - 7])
    flipped = bytearray(data)
    flipped[30] ^= 0x55
    (d / "badheader.rec").write_bytes(bytes(flipped))
    (d / "adir").mkdir(exist_ok=True)
    if not (d / "fifo").exists():
        os.mkfifo(d / "fifo")
    region = ('{{"start": {s}, "end": {e}, "nr_accesses": {{"samples": 1, "percent": null}}, '
              '"age": {{"usec": null, "aggr_intervals": 0}}}}')

    def damo(s: str, e: str, st: str = "0", en: str = "100") -> str:
        return ('[{"target_id": 0, "intervals": {"sample_us": 5000, "aggr_us": 100000, '
                '"ops_update_us": 1000000}, "snapshots": [{"start_time": ' + st +
                ', "end_time": ' + en + ', "regions": [' + region.format(s=s, e=e) + ']}]}]')

    for name, text in {"nan.json": damo("NaN", "8192"), "inf.json": damo("4096", "Infinity"),
                       "huge.json": damo("4096", "1e400"),
                       "neg.json": damo("-4096", "8192"), "inverted.json": damo("8192", "4096"),
                       "backwards.json": damo("4096", "8192", "100", "0"),
                       "deep.json": "[" * 100_000,
                       "strnum.json": damo('"x"', '"y"')}.items():
        (d / name).write_text(text)
    (d / "bomb").write_bytes(zlib.compress(b"[" + b" " * (8 << 20) + b"]", 9))
    (d / "perf.txt").write_text(
        "kdamond.0  1234 [000]  100.000000: damon:damon_aggregated: target_id=0 "
        "nr_regions=1 8192-4096: 1 0\n")
    for i, doc in enumerate(HOSTILE_SCHEME_JSON):
        (d / f"schemes{i}.json").write_text(json.dumps(doc))
    prof = d / "profiles"
    prof.mkdir(exist_ok=True)
    (prof / "dir.json").mkdir(exist_ok=True)
    if not (prof / "fifo.json").exists():
        os.mkfifo(prof / "fifo.json")
    (prof / "deep.json").write_text("[" * 100_000)
    (prof / "huge.json").write_text(json.dumps({"preset": "reclaim",
                                                "params": {"quota_sz": "9" * 5000}}))
    (prof / "inf.json").write_text('{"preset": "reclaim", "params": {"min_age": Infinity}}')
    return d


# -- cases ------------------------------------------------------------------------
MON = ["monitor", "--sim", "zigzag", "--duration", "300ms"]
HOSTILE_FILES = ["empty", "garbage", "truncated.rec", "badheader.rec", "adir", "nan.json",
                 "inf.json", "huge.json", "neg.json", "inverted.json", "backwards.json",
                 "deep.json", "strnum.json", "bomb", "perf.txt", "missing"]
DEVICES = ["/dev/null", "/dev/zero", "/dev/urandom", "{d}/fifo"]


def cases(full: bool = False) -> Iterator[Case]:
    """Every case; ``full`` adds the cross product of every option with every value
    (the suite runs a representative subset of the values per option)."""
    values = HOSTILE_NUMBERS if full else ["inf", "1e400", "9" * 5000, "-1", "",
                                           "99999999999999999999999", "nan", "\x00"]
    for opt in TIME_OPTIONS + INT_OPTIONS:
        for v in values:
            argv = [*MON, opt, v] if opt != "--duration" else [*MON[:3], opt, v]
            if opt == "--duration" and v in ("max", "18446744073709551615", "1e13"):
                continue  # a valid, endless duration
            yield Case(f"monitor {opt} {v[:12]!r}", argv, tags=("option",))
    for v in values:
        yield Case(f"intervals-goal {v[:12]!r}", [*MON, "--intervals-goal", v, "4", "5ms",
                                                  "10s"], tags=("option",))
        yield Case(f"regions {v[:12]!r}", [*MON, "--pid", "4194305", "--regions", f"0-{v}"],
                   tags=("option",))
    for p in PRESET_PARAMS:
        for v in values:
            yield Case(f"--param {p}={v[:12]!r}",
                       ["preset", "export", "reclaim", "--param", f"{p}={v}"],
                       tags=("option",))
    for i, line in enumerate(HOSTILE_SCHEMES):
        yield Case(f"--schemes line {i}", [*MON, "--schemes", line], tags=("scheme",))
    for i in range(len(HOSTILE_SCHEME_JSON)):
        yield Case(f"--schemes json {i}", [*MON, "--schemes", f"{{d}}/schemes{i}.json"],
                   tags=("scheme",))
    for prof in ("dir", "fifo", "deep", "huge", "inf", "missing"):
        yield Case(f"--profile {prof}", [*MON, "--preset", "reclaim", "--profile", prof,
                                         "--profiles-dir", "{d}/profiles"], tags=("profile",))
    yield Case("preset list hostile dir", ["preset", "list", "--profiles-dir", "{d}/profiles"],
               tags=("profile",))
    kinds = ["info", "heatmap", "wss", "raw", "recency", "temperature"]
    for f in HOSTILE_FILES:
        for k in kinds if full else ["info", "heatmap"]:
            yield Case(f"report {k} {f}", ["report", k, f"{{d}}/{f}"], tags=("reader",))
        yield Case(f"convert {f}", ["convert", f"{{d}}/{f}", "-o", "{d}/out.rec"],
                   output="{d}/out.rec", tags=("reader",))
    for dev in DEVICES:
        yield Case(f"report info {dev}", ["report", "info", dev], subprocess=True,
                   tags=("reader",))
        yield Case(f"monitor --sim {dev}", [*MON, "--sim", dev], subprocess=True,
                   tags=("reader",))
    yield Case("tui --replay fifo", ["tui", "--replay", "{d}/fifo"], subprocess=True,
               tags=("reader",))
    # outputs: failing runs must leave the good record at -o intact
    for opt, v in (("--sample", "inf"), ("--max-nr-regions", "9" * 5000),
                   ("--access-rate", "1e13"), ("--duration", "1e400")):
        yield Case(f"record -o good {opt} {v[:8]!r}",
                   ["record", "--sim", "zigzag", "--duration", "300ms", "-o",
                    "{d}/keep.rec", opt, v], output="{d}/keep.rec", tags=("output",))
    yield Case("record -o good -- false", ["record", "-o", "{d}/keep.rec", "--", "false"],
               output="{d}/keep.rec", tags=("output",))
    yield Case("record -o adir", ["record", "--sim", "zigzag", "-o", "{d}/adir"],
               tags=("output",))
    yield Case("record -o /dev/full", ["record", "--sim", "zigzag", "--duration", "300ms",
                                       "-o", "/dev/full"], tags=("output",))
    yield Case("convert -o input", ["convert", "{d}/good.rec", "-o", "{d}/./good.rec"],
               output="{d}/good.rec", tags=("output",))
    for args in (["workloads"], ["preset", "export", "reclaim"],
                 ["report", "info", "{d}/good.rec"], ["report", "raw", "{d}/good.rec"]):
        yield Case(f"{args[0]} > /dev/full", args, subprocess=True, tags=("output",))


# -- running ------------------------------------------------------------------------
class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def _subst(argv: list[str], d: Path) -> list[str]:
    return [a.replace("{d}", str(d)) for a in argv]


def run_case(case: Case, d: Path) -> Outcome:
    """Run ``case`` against the fixtures in ``d`` and classify the result."""
    argv = _subst(case.argv, d)
    output = Path(_subst([case.output], d)[0]) if case.output else None
    good = (d / "good.rec").read_bytes()
    if output is not None and output != d / "good.rec":
        output.write_bytes(good)
    before = output.read_bytes() if output is not None and output.exists() else None
    if case.subprocess:
        outcome = _run_subprocess(case, argv)
    else:
        outcome = _run_inprocess(case, argv)
    if outcome.kind == "clean" and output is not None and before is not None:
        after = output.read_bytes() if output.exists() else b""
        recovered = "warning:" in outcome.detail and after.startswith(b"\x89DAMON-TUI")
        if outcome.code != 0 and after != before and not recovered:
            return Outcome(case, "loss", outcome.code, f"{output} changed by a failing run")
        if outcome.code == 0 and not after.startswith(b"\x89DAMON-TUI"):
            return Outcome(case, "loss", outcome.code, f"{output} is not a record")
    return outcome


def _run_inprocess(case: Case, argv: list[str]) -> Outcome:
    # stdout like a real one: text over a binary buffer (report raw writes the buffer)
    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, case.timeout)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    except _Timeout:
        return Outcome(case, "hang", None, f"over {case.timeout} s")
    except SystemExit as e:  # argparse refusals
        code = e.code if isinstance(e.code, int) else 2
    except BaseException:
        return Outcome(case, "traceback", None, traceback.format_exc(limit=-3))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return _classify(case, code, err.getvalue())


def _run_subprocess(case: Case, argv: list[str]) -> Outcome:
    limit = ("import resource, runpy, sys; "
             "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
             "sys.argv = ['damon-tui', *sys.argv[1:]]; "
             "runpy.run_module('damon_tui', run_name='__main__')")
    full = case.name.endswith("> /dev/full")
    stdout = open("/dev/full", "w") if full else subprocess.DEVNULL  # noqa: SIM115
    try:
        p = subprocess.run([sys.executable, "-c", limit, *argv], stdout=stdout,
                           stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                           timeout=case.timeout)
    except subprocess.TimeoutExpired:
        return Outcome(case, "hang", None, f"over {case.timeout} s")
    finally:
        if full:
            stdout.close()
    return _classify(case, p.returncode, p.stderr)


def _classify(case: Case, code: int | None, err: str) -> Outcome:
    if "Traceback" in err:
        return Outcome(case, "traceback", code, err[-600:])
    if code not in (0, 2):
        return Outcome(case, "badexit", code, err[-300:])
    if code == 2:
        errors = [line for line in err.splitlines() if ": error: " in line]
        if len(errors) > 1:
            return Outcome(case, "badexit", code, "more than one error line: " + err[-300:])
    return Outcome(case, "clean", code, err)
