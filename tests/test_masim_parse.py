"""The masim config parser: masim's shipped configs, our workloads, clear errors."""

from __future__ import annotations

import pytest

from damon_tui import masim
from damon_tui.errors import UserError
from damon_tui.ops.sim import builtin_workloads, load_workload

SHIPPED = {
    # file: (regions, phases)
    "default": (3, 2),
    "64.cfg": (3, 2),
    "2mb.cfg": (1, 1),
    "100mb.cfg": (1, 1),
    "200mb.cfg": (1, 1),
    "zigzag.cfg": (2, 13),
    "zigzag_30secs.cfg": (2, 13),
    "demo.cfg": (2, 7),
    "stairs.cfg": (10, 11),
    "stairs_30secs.cfg": (10, 11),
    "hint_test": (2, 2),
    "mem_perf.cfg": (7, 15),
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_masim_config_parses(shared_dir, name):
    w = masim.parse(shared_dir / "masim-configs" / name)
    assert (len(w.regions), len(w.phases)) == SHIPPED[name]
    for phase in w.phases:
        assert phase.patterns
        for p in phase.patterns:
            assert p.region in {r.name for r in w.regions}


def test_shipped_configs_are_exactly_the_twelve_known(shared_dir):
    files = {p.name for p in (shared_dir / "masim-configs").iterdir() if p.name != "ORIGIN.md"}
    assert files == set(SHIPPED)


def test_zigzag_fields_are_parsed(shared_dir):
    w = masim.parse(shared_dir / "masim-configs" / "zigzag.cfg")
    assert w.regions == (masim.Region("a", 100000000), masim.Region("b", 100000000))
    init = w.phases[0]
    assert init.name == "initial phase" and init.duration_ms == 10000
    assert init.patterns == (
        masim.Pattern("a", False, 4096, 1, "wo"),
        masim.Pattern("b", False, 4096, 1, "wo"),
    )
    assert w.phases[1].patterns == (masim.Pattern("a", False, 4096, 50),)
    assert w.duration_ms == 70000


def test_default_config_data_file_none_and_rw_modes(shared_dir):
    w = masim.parse(shared_dir / "masim-configs" / "default")
    assert [r.data_file for r in w.regions] == [None, None, None]
    assert [r.size for r in w.regions] == [256, 64, 128]
    assert [p.rw for p in w.phases[1].patterns] == ["ro", "rw"]
    assert w.phases[1].patterns[0].random and not w.phases[1].patterns[1].random


def test_mem_perf_phase_names_keep_odd_characters(shared_dir):
    w = masim.parse(shared_dir / "masim-configs" / "mem_perf.cfg")
    assert w.phases[1].name == "L1$ seq perf"
    assert w.phases[7].name == "10 GiB seq perf"
    assert w.regions[-1].size == 10737418240
    # "l3cache, 0, 64,1": spaces around commas are optional
    assert w.phases[0].patterns[2] == masim.Pattern("l3cache", False, 64, 1)


def test_last_line_without_newline_is_kept():
    w = masim.parse_text("a, 4096\n\nphase\n100\na, 0, 64, 1\na, 1, 64, 3")
    assert len(w.phases[0].patterns) == 2
    assert w.phases[0].patterns[1] == masim.Pattern("a", True, 64, 3)


def test_repeated_and_trailing_empty_lines_are_separators():
    w = masim.parse_text("\n\na, 4096\n\n\n\np1\n100\na, 0, 64, 1\n\n\np2\n5\na, 1, 0, 1\n\n\n")
    assert [p.name for p in w.phases] == ["p1", "p2"]


def test_comment_only_at_column_zero():
    w = masim.parse_text("# c\na, 4096\n#x\n\n# phase\np\n#dur\n100\n#pat\na, 0, 64, 1\n")
    assert w.phases[0].duration_ms == 100
    with pytest.raises(UserError, match=r"^t.cfg:2: region: expected 'name, size"):
        masim.parse_text("a, 4096\n  # indented is not a comment\n\np\n1\na, 0, 64, 1\n",
                         "t.cfg")


def test_description_comment_is_collected():
    w = masim.parse_text("# description: hello  world\na, 4096\n\np\n1\na, 0, 64, 1\n")
    assert w.description == "hello  world"


BAD = [
    ("a, x\n\np\n1\na, 0, 64, 1\n", "bad.cfg:1: size: expected a positive integer number "
     "of bytes, got 'x'"),
    ("a, 0\n\np\n1\na, 0, 64, 1\n", "bad.cfg:1: size: expected a positive integer number "
     "of bytes, got '0'"),
    ("a, 4K\n\np\n1\na, 0, 64, 1\n", "bad.cfg:1: size: expected a positive integer number "
     "of bytes, got '4K'"),
    ("a\n\np\n1\na, 0, 64, 1\n", "bad.cfg:1: region: expected 'name, size[, data_file]', "
     "got 1 field(s) in 'a'"),
    ("a, 1, f, x\n\np\n1\na, 0, 64, 1\n", "bad.cfg:1: region: expected 'name, size[, "
     "data_file]', got 4 field(s) in 'a, 1, f, x'"),
    (", 10\n\np\n1\na, 0, 64, 1\n", "bad.cfg:1: name: expected a region name, got ''"),
    ("a, 10\na, 20\n\np\n1\na, 0, 64, 1\n", "bad.cfg:2: name: expected a unique region "
     "name, got 'a' again"),
    ("a, 10\n\np\nsoon\na, 0, 64, 1\n", "bad.cfg:4: duration: expected a non-negative "
     "integer number of milliseconds, got 'soon'"),
    ("a, 10\n\np\n-5\na, 0, 64, 1\n", "bad.cfg:4: duration: expected a non-negative "
     "integer number of milliseconds, got '-5'"),
    ("a, 10\n\np\n100\nb, 0, 64, 1\n", "bad.cfg:5: region: expected one of the regions "
     "(a), got 'b'"),
    ("a, 10\n\np\n100\na, 2, 64, 1\n", "bad.cfg:5: randomness: expected 0 (sequential) or "
     "1 (random), got '2'"),
    ("a, 10\n\np\n100\na, 0, 0, 1\n", "bad.cfg:5: stride: expected a positive integer "
     "number of bytes, got '0'"),
    ("a, 10\n\np\n100\na, 0, 64, -1\n", "bad.cfg:5: probability: expected a non-negative "
     "integer, got '-1'"),
    ("a, 10\n\np\n100\na, 0, 64, 1, rx\n", "bad.cfg:5: rw: expected ro, wo or rw, got 'rx'"),
    ("a, 10\n\np\n100\na, 0, 64\n", "bad.cfg:5: pattern: expected 'region, randomness, "
     "stride, probability[, rw]', got 3 field(s) in 'a, 0, 64'"),
    ("a, 10\n\np\n100\n", "bad.cfg:4: pattern: expected at least one access pattern after "
     "the duration, got the end of the paragraph"),
    ("a, 10\n\np\n", "bad.cfg:3: duration: expected the phase duration in ms on the line "
     "after the phase name, got the end of the paragraph"),
    ("a, 10\n", "bad.cfg:1: expected at least one phase paragraph after the regions "
     "(separated by an empty line)"),
    ("# only a comment\n\n", "bad.cfg: expected a regions paragraph, got an empty config"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_malformed_config_names_file_line_and_field(text, message):
    with pytest.raises(UserError) as info:
        masim.parse_text(text, "bad.cfg")
    assert str(info.value) == message


def test_parse_reads_files_and_reports_unreadable(tmp_path):
    cfg = tmp_path / "w.cfg"
    cfg.write_text("a, 8192\n\np\n10\na, 1, 64, 1")
    w = masim.parse(cfg)
    assert w.name == "w" and w.footprint == 8192
    cfg.write_text("a, 8192\n\np\n10\nz, 1, 64, 1\n")
    with pytest.raises(UserError, match=r"w\.cfg:5: region: expected one of the regions"):
        masim.parse(cfg)
    with pytest.raises(UserError, match=r"missing\.cfg: cannot read the masim config"):
        masim.parse(tmp_path / "missing.cfg")


def test_builtin_workloads_parse_and_describe_themselves():
    names = builtin_workloads()
    assert {"zigzag", "stairs"} <= set(names) and len(names) >= 5
    for name in names:
        w = load_workload(name)
        assert w.name == name and w.description and w.phases


def test_builtin_zigzag_and_stairs_have_masims_shapes():
    z = load_workload("zigzag")
    assert [r.size for r in z.regions] == [100_000_000] * 2
    assert z.phases[0].duration_ms == 10000 and len(z.phases[0].patterns) == 2
    assert [p.duration_ms for p in z.phases[1:]] == [5000] * 12
    assert [p.patterns[0].region for p in z.phases[1:]] == ["a", "b"] * 6
    s = load_workload("stairs")
    assert [r.size for r in s.regions] == [10_000_000] * 10
    assert [p.patterns[0].region for p in s.phases[1:]] == [f"step{i}" for i in range(10)]


def test_unknown_workload_lists_builtin_names():
    with pytest.raises(UserError, match=r"unknown workload 'nope'.*zigzag"):
        load_workload("nope")
    with pytest.raises(UserError, match=r"no such masim config file"):
        load_workload("./nope.cfg")
