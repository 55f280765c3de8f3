"""The heatmap: damo's binning, digits, ranges and colour; the SVG picture."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from damon_tui.cli import main
from damon_tui.record.model import Intervals, Record, TargetData
from damon_tui.report import heatmap as hm
from damon_tui.report.svg import heatmap_svg

MS = 1_000_000  # ns


def _record(snaps, intervals=None) -> Record:
    t = TargetData(0, "t", intervals)
    for start, end, regions in snaps:
        t.append(start, end, regions)
    return Record("mem", "damon-tui", {}, [t])


def test_pixel_is_time_and_space_weighted_mean_in_samples():
    # one region, half of the map's space, accessed 4 then 8 times
    rec = _record([(0, 100 * MS, [(0, 1000, 4, 0), (1000, 2000, 0, 0)]),
                   (100 * MS, 200 * MS, [(0, 1000, 8, 0), (1000, 2000, 0, 0)])])
    m = hm.build(rec.targets[0], (0, 200 * MS), (0, 2000), (2, 2))
    assert m.heat_unit == "samples"
    assert [m.heat(0, 0), m.heat(0, 1), m.heat(1, 0), m.heat(1, 1)] == [4.0, 0.0, 8.0, 0.0]
    # a pixel spanning both snapshots averages them
    m = hm.build(rec.targets[0], (0, 200 * MS), (0, 2000), (1, 1))
    assert m.heat(0, 0) == pytest.approx((4 * 1000 + 8 * 1000) / 2 / 2000)


def test_heat_is_in_hz_and_age_back_fills_time_when_intervals_are_known():
    iv = Intervals(5000, 100_000)
    # the second snapshot's region is 3 aggregations old: it covers earlier rows too,
    # but not before the previous snapshot's end
    rec = _record([(0, 100 * MS, [(0, 1000, 0, 0)]),
                   (600 * MS, 700 * MS, [(0, 1000, 10, 3)])], iv)
    m = hm.build(rec.targets[0], (0, 700 * MS), (0, 1000), (7, 1))
    assert m.heat_unit == "hz"
    rows = [m.heat(r, 0) for r in range(7)]
    # row 1 is touched, with zero weight, by the first snapshot's end (as in damo)
    assert rows[:2] == [0.0, 0.0]
    assert rows[2] is None  # before the back-filled window: no data
    assert rows[3:] == [100.0, 100.0, 100.0, 100.0]  # 10 samples per 100 ms = 100 Hz


def test_digits_follow_damos_formula_and_empty_pixels_are_spaces():
    rec = _record([(0, 10, [(0, 10, 0, 0), (30, 40, 9, 0), (40, 50, 18, 0)])])
    m = hm.build(rec.targets[0], (0, 10), (0, 50), (1, 5))
    # lowest 0, highest 18: unit (18 + 1 - 0) / 9; 9 / unit = 4.26 -> 4.  Column 1 is
    # touched (with zero weight) by the end of [0, 10), as in damo; column 2 by nothing.
    assert m.levels() == [[0, 0, None, 4, 8]]
    text = hm.render_text(m, color=False).splitlines()
    assert text[0] == "00 48"
    assert text[1] == "# access_frequency: 0123456789 (0.000-18.000 samples)"
    assert text[2] == "# x-axis: space [0 B, 50 B) (50 B)"
    assert text[3] == "# y-axis: time [0 ns, 10 ns) (10 ns)"
    assert text[4] == "# resolution: 5x1 (10 B and 10 ns for each character)"


def test_colour_codes_only_when_asked():
    rec = _record([(0, 10, [(0, 10, 1, 0), (10, 20, 9, 0)])])
    m = hm.build(rec.targets[0], (0, 10), (0, 20), (1, 2))
    assert "\x1b[" not in hm.render_text(m, color=False)
    colored = hm.render_text(m, "emotion", color=True)
    assert "\x1b[48;5;232m\x1b[38;5;239m0" in colored  # emotion level 0
    assert colored.splitlines()[0].endswith("\x1b[0m")


def test_guide_cuts_at_gaps_present_in_every_snapshot_and_picks_the_hottest():
    rec = _record([
        (0, 10, [(10, 100, 1, 0), (200, 300, 0, 0), (400, 500, 5, 0)]),
        (10, 20, [(10, 150, 1, 0), (200, 300, 0, 0), (400, 500, 5, 0)]),
    ])
    g = hm.guides(rec)[0]
    # gaps [100, 200) and [300, 400), narrowed by the second snapshot to [150, 200)
    assert g.ranges == [(10, 150), (200, 300), (400, 500)]
    assert g.hottest() == (400, 500)
    assert hm.complete_address_ranges(None, "all", g) == g.ranges
    assert hm.complete_address_ranges([["10", "1K", "guided"]], "hottest", g) == [(410, 1424)]
    assert hm.complete_time_range(["5", "8"], g) == (5, 8)
    assert hm.complete_time_range(["1s", "2s", "guided"], g) == (10**9, 2 * 10**9)


def test_svg_is_a_picture_with_axes_and_legend(tmp_path):
    rec = _record([(i * MS, (i + 1) * MS, [(0, 4096, i % 7, 0), (4096, 8192, 3, 1)])
                   for i in range(20)], Intervals(1000, 1000))
    m = hm.build(rec.targets[0], (0, 20 * MS), (0, 8192), (20, 10))
    root = ET.fromstring(heatmap_svg(m, "flame", "rec"))
    assert root.tag.endswith("svg")
    texts = [t.text for t in root.iter() if t.tag.endswith("text")]
    assert any(t and t.startswith("0x") for t in texts)  # address ticks
    assert any(t and "access frequency (Hz)" in t for t in texts)  # legend
    assert any(t and t.startswith("time since") for t in texts)
    fills = {r.get("fill") for r in root.iter() if r.tag.endswith("rect")}
    assert len(fills) > 5  # several heat colours


def test_cli_heatmap_svg_and_option_errors(tmp_path, capsys, shared_dir):
    path = str(shared_dir / "damo-records" / "damon.data.json_compressed")
    out = tmp_path / "h.svg"
    assert main(["report", "heatmap", path, "--output", str(out), "--draw-range", "all"]) == 0
    assert out.exists() and (tmp_path / "h.1.svg").exists() and (tmp_path / "h.2.svg").exists()
    ET.parse(out)
    assert main(["report", "heatmap", path, "--output", str(tmp_path / "h.gif")]) == 2
    assert "unsupported picture type" in capsys.readouterr().err
    assert main(["report", "heatmap", path, "--tid", "3"]) == 2
    assert "no target 3" in capsys.readouterr().err
    assert main(["report", "heatmap", path, "--address-range", "1G", "1K"]) == 2
    assert "empty address range" in capsys.readouterr().err
    assert main(["report", "heatmap", path, "--address-range", "0", "100 MiB",
                 "140,271,510,761,472", "--resol", "10", "20", "--color", "never"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 14 and all(len(line) == 20 for line in lines[:10])


def test_guide_option_prints_ranges(capsys, shared_dir):
    path = str(shared_dir / "damo-records" / "damon.data.json_compressed")
    assert main(["report", "heatmap", path, "--guide"]) == 0
    out = capsys.readouterr().out
    assert "time: [539809434100, 596606618651) (56797184551)" in out
    assert "region\t 1: [140271510761472, 140271717171200) (206409728)" in out
