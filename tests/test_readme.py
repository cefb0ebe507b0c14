"""The README's "Code layout" names every module and package of the tree, and nothing that is not there."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def layout_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Code layout", 1)[1]
    return section.split("```", 2)[1]


def test_code_layout_matches_the_tree():
    block = layout_block()
    listed = set(re.findall(r"^  ([\w.]+/?)", block, flags=re.M))  # the entries under explorer/
    actual = {p.name + ("/" if p.is_dir() else "") for p in (ROOT / "explorer").iterdir()
              if (p.suffix == ".py" and p.name not in ("__init__.py", "__main__.py"))
              or (p.is_dir() and (p / "__init__.py").exists())}
    assert listed == actual, {"missing from README": sorted(actual - listed), "not in tree": sorted(listed - actual)}
    for top in re.findall(r"^([\w./]+)", block, flags=re.M):
        assert (ROOT / top.rstrip("/")).exists(), top
