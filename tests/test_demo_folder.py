"""``diffkit demo -o DIR``: the main job writes real tables and pictures with an index that lists them all."""

import csv
import re
import subprocess
import sys

import pytest

from diffkit.cli import main

# The whole demo with its pictures takes ~30 s, so it runs in the slow part of CI; tests/test_cli.py runs the demo
# without -o in the default run.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "out"
    done = subprocess.run([sys.executable, "-m", "diffkit", "demo", "-o", str(folder)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return folder, done.stdout


def test_index_lists_every_picture_and_table(demo_folder):
    folder, out = demo_folder
    page = (folder / "index.html").read_text(encoding="utf-8")
    pictures = sorted(p.name for p in folder.iterdir() if p.suffix in (".png", ".gif"))
    assert len(pictures) >= 10
    assert sorted(re.findall(r"<img src='([^']+)'", page)) == pictures
    tables = sorted(p.name for p in folder.iterdir() if p.suffix in (".csv", ".txt"))
    for name in tables:
        assert f"href='{name}'" in page
    markdown = (folder / "index.md").read_text(encoding="utf-8")
    assert all(f"]({name})" in markdown for name in pictures + tables)
    assert f"open {folder / 'index.html'}" in out


def test_pictures_are_real_images(demo_folder):
    folder, _ = demo_folder
    for path in folder.glob("*.png"):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000, path.name
    assert (folder / "example3_sweeps.gif").read_bytes()[:6] == b"GIF89a"


def test_tables_hold_the_lecture_numbers(demo_folder):
    folder, _ = demo_folder
    with open(folder / "example1.csv", encoding="utf-8") as file:
        rows = {row["method"]: row for row in csv.DictReader(file)}
    assert set(rows) == {"symbolic", "numeric", "forward", "reverse"}
    reverse, forward = rows["reverse"], rows["forward"]
    assert [float(reverse[f"d/dx{i}"]) for i in range(1, 5)] == [7.0, 7.0, 3.0, 3.0]
    assert (forward["forward_sweeps"], reverse["forward_sweeps"], reverse["backward_sweeps"]) == ("4", "1", "1")
    with open(folder / "example3.csv", encoding="utf-8") as file:
        reverse = {row["method"]: row for row in csv.DictReader(file)}["reverse"]
    assert float(reverse["d/dx1"]) == 5.5 and abs(float(reverse["d/dx2"]) - 1.716337814536774) < 1e-12
    with open(folder / "gradient_vs_inputs.csv", encoding="utf-8") as file:
        study = list(csv.DictReader(file))
    assert {row["method"] for row in study} == {"symbolic", "numeric", "forward", "reverse"}
    with open(folder / "hvp_vs_inputs.csv", encoding="utf-8") as file:
        hvp = {(row["method"], row["size"]): row for row in csv.DictReader(file)}
    assert (hvp["reverse", "4"]["forward_sweeps"], hvp["reverse", "32"]["backward_sweeps"]) == ("1", "1")
    assert int(hvp["forward", "32"]["forward_sweeps"]) == 32
    index = (folder / "index.md").read_text(encoding="utf-8")
    assert "accuracy 1.00" in index
    # the stochastic second-order study: every optimizer, full-batch and on mini-batches, with its picture
    assert all(f"{name}  " in index for name in ("gd", "adam", "newton", "newtoncg", "lbfgs"))
    assert "mini-batch 32" in index and "](stochastic_second_order.png)" in index
    # the activations-vs-depth study: a row per network and the picture
    assert "activations and gradients across depth: MLP 64-32x12-10" in index
    assert re.search(r"sigmoid +small +none", index) and re.search(r"relu +large +layer", index)
    assert "](activations_vs_depth.png)" in index


def test_an_output_path_that_is_a_file_is_a_one_line_error(tmp_path, capsys):
    path = tmp_path / "taken"
    path.write_text("x")
    assert main(["demo", "-o", str(path)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_folder_with_other_files_is_left_alone_and_a_report_replaces_its_own(tmp_path, capsys):
    from diffkit.report import MARKER, Report

    taken = tmp_path / "notes"
    taken.mkdir()
    (taken / "mine.md").write_text("keep me")
    assert main(["demo", "-o", str(taken)]) == 2
    assert "holds other files (mine.md)" in capsys.readouterr().err
    assert (taken / "mine.md").read_text() == "keep me" and len(list(taken.iterdir())) == 1

    folder = tmp_path / "report"
    first = Report(out=lambda line: None, directory=folder)
    first.save("old.txt", lambda path: path.write_text("x"))
    first.finish("first")
    second = Report(out=lambda line: None, directory=folder)  # an earlier report's folder: its files go
    second.save("new.txt", lambda path: path.write_text("y"))
    second.finish("second")
    assert sorted(p.name for p in folder.iterdir()) == sorted([MARKER, "index.html", "index.md", "new.txt"])
