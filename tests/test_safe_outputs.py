"""Outputs never follow a planted symlink, never replace a good file with an empty one,
and convert refuses to overwrite its input however the path is spelled."""

from __future__ import annotations

import os

import pytest

from damon_tui import cli
from damon_tui.damos.presets import get_preset, save_profile
from damon_tui.errors import UserError
from damon_tui.record import open_record
from damon_tui.safe_output import create_temp, safe_output, same_file


def _record(path, *extra):
    assert cli.main(["record", "--sim", "zigzag", "--duration", "1s", "-o", str(path),
                     *extra]) == 0


@pytest.fixture
def victim(tmp_path):
    v = tmp_path / "victim"
    v.write_text("precious")
    return v


def _planted(tmp_path, victim, name):
    link = tmp_path / name
    link.symlink_to(victim)
    return link


def test_record_output_link_is_replaced_not_followed(tmp_path, victim):
    link = _planted(tmp_path, victim, "out.rec")
    _record(link)
    assert victim.read_text() == "precious"
    assert not link.is_symlink() and open_record(str(link)).nr_snapshots == 10


def test_default_record_name_in_a_sticky_directory_is_not_followed(tmp_path, victim,
                                                                   monkeypatch):
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)
    _planted(sticky, victim, "damon-tui.rec")
    monkeypatch.chdir(sticky)
    assert cli.main(["record", "--sim", "zigzag", "--duration", "1s"]) == 0
    assert victim.read_text() == "precious"
    assert not (sticky / "damon-tui.rec").is_symlink()


def test_damo_json_record_and_convert_and_svg_outputs_do_not_follow_links(tmp_path, victim,
                                                                           capsys):
    damo = _planted(tmp_path, victim, "out.json")
    _record(damo, "--format", "damo-json")
    assert victim.read_text() == "precious" and not damo.is_symlink()
    src = tmp_path / "src.rec"
    _record(src)
    conv = _planted(tmp_path, victim, "conv.json")
    assert cli.main(["convert", str(src), "-o", str(conv), "--format", "damo-json"]) == 0
    assert victim.read_text() == "precious" and not conv.is_symlink()
    svg = _planted(tmp_path, victim, "hm.svg")
    assert cli.main(["report", "heatmap", str(src), "--output", str(svg)]) == 0
    assert victim.read_text() == "precious" and svg.read_text().startswith("<svg")
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # no leftovers


def test_profile_save_ignores_a_planted_temp_link(tmp_path, victim):
    _planted(tmp_path, victim, "mine.json.tmp")
    path = save_profile("mine", get_preset("reclaim"), {"min_age": 5}, directory=tmp_path)
    assert victim.read_text() == "precious"
    assert '"min_age": 5' in path.read_text()


def test_convert_refuses_the_input_under_another_name(tmp_path, capsys):
    src = tmp_path / "src.rec"
    _record(src)
    before = src.read_bytes()
    (tmp_path / "alias.rec").symlink_to(src)
    os.link(src, tmp_path / "hard.rec")
    for out in ("alias.rec", "hard.rec", f"{tmp_path}/../{tmp_path.name}/src.rec"):
        assert cli.main(["convert", str(src), "-o", str(tmp_path / out)]) == 2
        assert "would overwrite the input" in capsys.readouterr().err
    assert src.read_bytes() == before
    assert same_file(src, tmp_path / "alias.rec") and not same_file(src, tmp_path / "none")


def test_a_recording_without_frames_keeps_the_existing_file(tmp_path, capsys):
    good = tmp_path / "good.rec"
    _record(good)
    before = good.read_bytes()
    assert cli.main(["record", "-o", str(good), "--", "sh", "-c", "sleep 0.02"]) in (0, 2)
    assert good.read_bytes() == before
    err = capsys.readouterr().err
    assert "left unchanged" in err or "exited" in err


def test_safe_output_leaves_the_old_file_on_error(tmp_path):
    target = tmp_path / "f"
    target.write_text("old")
    with pytest.raises(RuntimeError), safe_output(target, "w") as f:
        f.write("half")
        raise RuntimeError("boom")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["f"]
    fd, tmp = create_temp(target)
    os.close(fd)
    assert os.path.dirname(tmp) == str(tmp_path) and os.path.basename(tmp).startswith(".f.")
    with pytest.raises(UserError, match="Is a directory"):
        create_temp(tmp_path)


def test_streams_are_written_in_place_never_replaced(tmp_path, capsys):
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()))
    reader.start()
    _record(fifo)
    reader.join(timeout=30)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and got[0].startswith(b"\x89DAMON-TUI")
    _record("/dev/null", "--format", "damo-json")
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)
    assert cli.main(["record", "--sim", "zigzag", "--duration", "1s", "-o", "/dev/full"]) == 2
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)
    assert "No space left on device" in capsys.readouterr().err
