"""``--schemes/--preset/--param/--profile`` and ``damon-tui preset``."""

import argparse

import pytest

from damon_tui.cli import main
from damon_tui.engine import Attrs
from damon_tui.errors import UserError
from damon_tui.options.schemes import add_scheme_arguments, config_from_args, schemes_from_args


def parse(*argv):
    p = argparse.ArgumentParser()
    add_scheme_arguments(p)
    return p.parse_args(list(argv))


def test_no_scheme_options_give_no_schemes():
    args = parse()
    assert schemes_from_args(args, Attrs()) == ()
    assert args.damos_attrs == Attrs()


def test_preset_sets_schemes_and_monitoring_attrs():
    args = parse("--preset", "reclaim", "--param", "min_age=30s", "--param",
                 "aggr_interval=200ms")
    schemes = schemes_from_args(args, Attrs())
    assert args.damos_attrs.aggr_us == 200_000
    assert schemes[0].access_pattern.min_age.value == 150


def test_preset_intervals_default_to_the_command_attrs():
    schemes, attrs = config_from_args(parse("--preset", "reclaim"), Attrs(aggr_us=50_000))
    assert attrs.aggr_us == 50_000
    assert schemes[0].access_pattern.min_age.value == 2400  # 120 s / 50 ms


def test_schemes_are_validated_for_the_ops():
    from damon_tui.ops.sim import SimOps
    with pytest.raises(UserError,
                       match="--schemes:1: scheme 0: action: the sim models a single NUMA"):
        schemes_from_args(parse("--schemes", "min max min max min max migrate_hot"), Attrs(),
                          SimOps("zigzag"))


def test_profile_and_schemes_combine():
    schemes, _ = config_from_args(parse("--profile", "lru_sort-example", "--schemes",
                                        "min max min max min max stat"), Attrs())
    assert [s.action for s in schemes] == ["lru_prio", "lru_deprio", "stat"]


def test_option_errors():
    with pytest.raises(UserError, match="--param needs --preset"):
        schemes_from_args(parse("--param", "min_age=1"), Attrs())
    with pytest.raises(UserError, match="is a reclaim profile"):
        schemes_from_args(parse("--preset", "lru_sort", "--profile", "reclaim-example"), Attrs())


def test_preset_command_export_and_save(tmp_path, capsys):
    assert main(["preset", "export", "--profile", "reclaim-example", "--format", "boot"]) == 0
    out = capsys.readouterr().out
    assert "damon_reclaim.min_age=30000000" in out and out.strip().endswith("enabled=Y")
    assert main(["preset", "save", "fast", "reclaim", "--param", "min_age=5s",
                 "--profiles-dir", str(tmp_path)]) == 0
    assert (tmp_path / "fast.json").is_file()
    assert main(["preset", "export", "--profile", "fast", "--profiles-dir", str(tmp_path),
                 "--format", "schemes"]) == 0
    assert capsys.readouterr().out.split("\n")[1].startswith("4096 max 0 0 50 4294967295 "
                                                             "pageout")


def test_preset_command_errors_are_one_line(capsys):
    assert main(["preset", "show", "lru_sort", "--param", "active_mem_bp=20000"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == ("damon-tui preset: error: DAMON_LRU_SORT.active_mem_bp: 20000 is "
                           "above 10000 (EINVAL)")


def test_preset_show_lists_every_parameter(capsys):
    assert main(["preset", "show", "reclaim"]) == 0
    out = capsys.readouterr().out
    for name in ("min_age", "quota_sz", "wmarks_low", "nr_quota_exceeds", "kdamond_pid",
                 "skip_anon"):
        assert name in out
    assert "DAMON_RECLAIM scheme: 4096 max 0 0 1200 4294967295 pageout" in out


def test_preset_show_prints_help_text_verbatim(capsys):
    """Help text goes through rich: '[in]active' must not be eaten as markup."""
    assert main(["preset", "show", "lru_sort"]) == 0
    assert "active to [in]active memory ratio" in capsys.readouterr().out


def test_missing_schemes_file_is_named(capsys):
    assert main(["monitor", "--sim", "stairs", "--schemes", "/nonexistent/rules.json",
                 "--duration", "1s"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("damon-tui monitor: error: --schemes /nonexistent/rules.json: "
                          "no such file")
    assert "\n" not in err


ACTIVE = ["--param", "wmarks_high=1000", "--param", "wmarks_mid=999", "--param",
          "wmarks_low=0"]


@pytest.mark.parametrize("command", ["monitor", "record"])
def test_preset_runs_end_with_the_modules_statistics_under_their_names(command, tmp_path,
                                                                       capsys):
    out = ["-o", str(tmp_path / "r.rec")] if command == "record" else []
    assert main([command, "--sim", "zigzag", "--duration", "15s", "--preset", "reclaim",
                 "--param", "min_age=2s", *ACTIVE, *out]) == 0
    text = capsys.readouterr()
    lines = (text.out + text.err).splitlines()
    scheme = next(x for x in lines if "0 pageout:" in x)
    module = next(x for x in lines if x.startswith("# DAMON_RECLAIM (damon_reclaim):"))
    words = module.split()
    values = dict(zip(words[3::2], words[4::2], strict=True))
    sw = scheme.replace("(", " ").replace(";", " ").split()
    per_scheme = {k: sw[sw.index(k) + 1] for k in ("nr_tried", "sz_tried", "nr_applied",
                                                    "sz_applied", "qt_exceeds")}
    assert int(values["nr_reclaim_tried_regions"]) == int(per_scheme["nr_tried"]) > 0
    assert values["bytes_reclaim_tried_regions"] == per_scheme["sz_tried"]
    assert values["nr_reclaimed_regions"] == per_scheme["nr_applied"]
    assert values["bytes_reclaimed_regions"] == per_scheme["sz_applied"]
    assert values["nr_quota_exceeds"] == per_scheme["qt_exceeds"]


def test_lru_sort_statistics_come_from_its_own_hot_and_cold_schemes(capsys):
    assert main(["monitor", "--sim", "zigzag", "--duration", "5s", "--preset", "lru_sort",
                 *ACTIVE]) == 0
    text = capsys.readouterr()
    module = next(x for x in (text.out + text.err).splitlines()
                  if x.startswith("# DAMON_LRU_SORT (damon_lru_sort):"))
    words = module.split()
    values = dict(zip(words[3::2], words[4::2], strict=True))
    assert int(values["nr_lru_sort_tried_hot_regions"]) > 0
    assert set(values) >= {"nr_lru_sort_tried_cold_regions", "nr_hot_quota_exceeds",
                           "bytes_lru_sorted_cold_regions"}


@pytest.mark.parametrize("unit", [1, 2])
def test_monitor_region_start_end_and_addr_unit_set_the_target_region(unit, tmp_path):
    from damon_tui.ops.sim import SimOps
    from damon_tui.record import open_record

    (a0, a1), _ = SimOps("zigzag").mappings
    start, end = a0 // unit, (a0 + (a1 - a0) // 2 // 8192 * 8192) // unit  # page-aligned
    out = tmp_path / "r.rec"
    assert main(["record", "--sim", "zigzag", "--duration", "1s", "--preset", "reclaim",
                 "--param", f"monitor_region_start={start}", "--param",
                 f"monitor_region_end={end}", "--param", f"addr_unit={unit}",
                 *ACTIVE, "-o", str(out)]) == 0
    t = open_record(str(out)).targets[0]
    regions = t.regions(t.nr_snapshots - 1)  # (start, end, nr_accesses, age)
    assert regions[0][0] == start * unit and regions[-1][1] == end * unit
    assert sum(e - s for s, e, *_ in regions) == (end - start) * unit
