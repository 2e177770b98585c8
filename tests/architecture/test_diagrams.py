"""The architecture diagrams render from code, deterministically, and the committed files match.

generate.py is run as a subprocess (how `make diagrams` and `make lint` run it) and, for the PNG
stamp helpers, imported from its path.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Dict, List, Optional

import pytest
from PIL import Image

from tests.support.tools import require_tool

ARCH = Path(__file__).resolve().parents[2] / "architecture"
GENERATE = ARCH / "diagrams" / "generate.py"
COMMITTED = ARCH / "img"
NAMES = ("main", "multi-region")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(
    script: Path, *args: str, env: Optional[Dict[str, str]] = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def generate() -> ModuleType:
    # Loaded under another name: the folder is called diagrams/ like the package it uses.
    spec = importlib.util.spec_from_file_location("architecture_generate", GENERATE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The diagrams rendered once from the current source into a temporary directory."""
    require_tool("dot", "Debian: apt-get install graphviz")
    out = tmp_path_factory.mktemp("rendered")
    proc = run(GENERATE, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def copy_committed(dest: Path) -> Path:
    shutil.copytree(COMMITTED, dest)
    return dest


# --- rendering ------------------------------------------------------------------------------


def test_renders_every_diagram_as_a_readable_png(rendered: Path) -> None:
    for name in NAMES:
        png = rendered / f"{name}.png"
        assert png.read_bytes().startswith(PNG_SIGNATURE)
        with Image.open(png) as image:
            image.verify()  # checks every chunk's CRC, including our stamp
        with Image.open(png) as image:
            width, height = image.size
            assert width > 1000 and height > 1000, f"{name}.png is only {width}x{height}"
        dot = (rendered / f"{name}.dot").read_text(encoding="utf-8")
        assert dot.startswith("digraph")
        assert "{icons}/aws/" in dot, "icon paths must be portable"
        assert str(Path(sys.prefix)) not in dot, "the .dot must not contain machine paths"


def test_rendering_twice_gives_the_same_source(rendered: Path, tmp_path: Path) -> None:
    # The .dot is what --check compares; PNG bytes vary with the Graphviz build, so they are not.
    proc = run(GENERATE, "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    for name in NAMES:
        first = (rendered / f"{name}.dot").read_bytes()
        assert first == (tmp_path / f"{name}.dot").read_bytes(), f"{name}.dot differs"


def test_a_fresh_render_passes_check(rendered: Path) -> None:
    proc = run(GENERATE, "--check", "--out", str(rendered))
    assert proc.returncode == 0, proc.stderr
    assert "match the source" in proc.stdout


def test_png_stamp_is_readable_by_an_independent_parser(
    rendered: Path, generate: ModuleType
) -> None:
    dot = (rendered / "main.dot").read_text(encoding="utf-8")
    with Image.open(rendered / "main.png") as image:
        assert image.info["Source-SHA256"] == generate.source_digest(dot)
        assert "graphviz" in image.info["Renderer"]


# --- committed files ------------------------------------------------------------------------


def test_committed_diagrams_match_the_source() -> None:
    proc = run(GENERATE, "--check")
    assert proc.returncode == 0, (
        f"{proc.stderr}\nRegenerate with `make -C architecture diagrams` and commit img/."
    )


# --- --check catches stale or broken outputs -------------------------------------------------


def test_check_fails_when_a_dot_file_is_edited(tmp_path: Path) -> None:
    out = copy_committed(tmp_path / "img")
    dot = out / "main.dot"
    dot.write_text(dot.read_text(encoding="utf-8").replace("Aurora", "Aurora2"), encoding="utf-8")
    proc = run(GENERATE, "--check", "--out", str(out))
    assert proc.returncode == 1
    assert "main.dot: differs" in proc.stderr
    assert "multi-region" not in proc.stderr


def test_check_fails_when_a_png_comes_from_another_source(tmp_path: Path) -> None:
    out = copy_committed(tmp_path / "img")
    shutil.copy(out / "multi-region.png", out / "main.png")
    proc = run(GENERATE, "--check", "--out", str(out))
    assert proc.returncode == 1
    assert "main.png: rendered from another source" in proc.stderr


def test_check_fails_when_a_png_has_no_stamp(tmp_path: Path) -> None:
    out = copy_committed(tmp_path / "img")
    with Image.open(COMMITTED / "main.png") as image:
        image.save(out / "main.png")  # Pillow drops our tEXt chunks
    proc = run(GENERATE, "--check", "--out", str(out))
    assert proc.returncode == 1
    assert "main.png" in proc.stderr


def test_check_fails_when_files_are_missing(tmp_path: Path) -> None:
    proc = run(GENERATE, "--check", "--out", str(tmp_path))
    assert proc.returncode == 1
    for name in NAMES:
        assert f"{name}.dot: missing" in proc.stderr
        assert f"{name}.png: missing" in proc.stderr


# --- broken source and bad input ------------------------------------------------------------


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    source = GENERATE.read_text(encoding="utf-8")
    assert old in source, f"test fixture out of date: {old!r} not in generate.py"
    script = tmp_path / "generate.py"
    script.write_text(source.replace(old, new, 1), encoding="utf-8")
    return script


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("def build_main() -> str:", "def build_main() -> str\n", "syntax error"),
        (
            "from diagrams.aws.network import ALB,",
            "from diagrams.aws.network import NoSuchIcon, ALB,",
            "unknown icon",
        ),
        ("return str(canvas.dot.source)", "return str(canvas.dot.sourc)", "runtime error"),
    ],
)
def test_broken_source_fails_and_writes_nothing(
    tmp_path: Path, old: str, new: str, why: str
) -> None:
    script = broken_copy(tmp_path, old, new)
    out = tmp_path / "out"
    for args in (("--out", str(out)), ("--check", "--out", str(COMMITTED))):
        proc = run(script, *args)
        assert proc.returncode != 0, f"{why}: {args} exited 0"
    assert not out.exists() or not any(out.iterdir()), f"{why}: files written"


def test_changed_source_makes_committed_files_stale(tmp_path: Path) -> None:
    script = broken_copy(tmp_path, '"RDS Proxy\\n(pooling, IAM auth)"', '"RDS Proxy"')
    proc = run(script, "--check", "--out", str(COMMITTED))
    assert proc.returncode == 1
    assert "main.dot: differs" in proc.stderr


def test_missing_graphviz_is_a_clear_error(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=str(tmp_path))  # no `dot` on PATH
    proc = run(GENERATE, "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 3
    assert "Graphviz 'dot' is not installed" in proc.stderr
    assert not (tmp_path / "out" / "main.png").exists()


def test_out_must_be_a_directory(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x", encoding="utf-8")
    proc = run(GENERATE, "--out", str(not_a_dir))
    assert proc.returncode == 2
    assert "is not a directory" in proc.stderr


# --- PNG helpers ----------------------------------------------------------------------------


def test_png_text_round_trip(generate: ModuleType) -> None:
    with Image.new("RGB", (4, 4)) as image:
        import io

        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
    stamped = generate.png_with_text(buffer.getvalue(), {"Source-SHA256": "abc", "Renderer": "r"})
    assert generate.png_text(stamped) == {"Source-SHA256": "abc", "Renderer": "r"}
    assert generate.png_text(b"not a png") == {}
    with Image.open(io.BytesIO(stamped)) as reopened:
        reopened.verify()


def test_every_diagram_is_listed(generate: ModuleType) -> None:
    names: List[str] = sorted(generate.DIAGRAMS)
    assert names == sorted(NAMES)


# --- the pictures agree with the text ---------------------------------------------------------

README = COMMITTED.parent / "README.md"


def node_labels(dot: str) -> List[str]:
    """First lines of the labels of the icon nodes (the legend's blank nodes have no image)."""
    statements = re.findall(r'label="([^"]*)"[^\]]*?image=', dot, re.S)
    return [label.splitlines()[0] for label in statements if label]


@pytest.mark.parametrize("name", NAMES)
def test_every_component_drawn_is_named_in_the_text(name: str) -> None:
    text = README.read_text(encoding="utf-8").lower()
    dot = (COMMITTED / f"{name}.dot").read_text(encoding="utf-8")
    labels = node_labels(dot)
    assert len(labels) >= 15, labels
    missing = []
    for label in labels:
        words = re.findall(r"[a-z0-9][a-z0-9-]{2,}", re.sub(r"\(.*?\)", "", label.lower()))
        missing += [f"{label!r}: {word}" for word in words if word not in text]
    assert not missing, f"drawn but never named in README.md: {missing}"


def test_diagram_shapes_match_the_text() -> None:
    dot = (COMMITTED / "multi-region.dot").read_text(encoding="utf-8")
    text = README.read_text(encoding="utf-8")
    words = {"one": 1, "two": 2, "three": 3}
    standby = re.search(r"secondary cluster with (\w+)\s+`db\.r7g\.2xlarge` instance", text)
    assert standby, "the text no longer states the standby's Aurora instances"
    assert f"secondary: {words[standby.group(1)]} instances" in dot
    shape = re.search(r"Global Datastore secondary \((\d+) shards \u00d7\s+(\d+) nodes", text)
    assert shape, "the text no longer states the standby cache's shape"
    assert f"secondary: {shape.group(1)} shards x {shape.group(2)}" in dot
    main = (COMMITTED / "main.dot").read_text(encoding="utf-8")
    assert "ltail=" in main, "service-level edges must start at the service, not one AZ's task"
    for diagram in (main, dot):
        assert "cluster_Legend" in diagram, "each image carries its legend"
