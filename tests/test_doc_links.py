"""The documentation as a map that holds: the README stays short and names the two commands the
Makefile and CI run, and every relative link in the README, docs/*.md and the study READMEs
points at a file that exists (and at a heading of it, where the link names one)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_MAX_LINES = 250


def documents() -> list[Path]:
    """The README, every page of docs/ and every README under the studies."""
    return [README, *sorted((ROOT / "docs").glob("*.md")),
            *sorted((ROOT / "src" / "holistic" / "studies").rglob("README.md"))]


FENCE = re.compile(r"^(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target) and ![alt](target); the target ends at whitespace or the closing parenthesis
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code spans removed."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(INLINE_CODE.sub("", line))
    return lines


def links(text: str) -> list[str]:
    return [m.group(1) for line in prose_lines(text) for m in LINK.finditer(line)]


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: the rendered text (markup dropped, code kept), lower case,
    punctuation other than '-' and '_' removed, spaces to '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)   # links: their text
    text = text.replace("`", "")
    text = re.sub(r"(\*\*|__|\*)", "", text)
    text = unicodedata.normalize("NFC", text).strip().lower()
    text = "".join(c for c in text if c in "-_ " or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, duplicates numbered as GitHub does (x, x-1, ...)."""
    seen: dict[str, int] = {}
    out = set()
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    for line in lines:
        m = HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def is_external(target: str) -> bool:
    return bool(re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target)) or target.startswith("//")


def broken_links(doc: Path, root: Path = ROOT) -> list[str]:
    """``target: why`` of every relative link of ``doc`` that does not resolve."""
    problems = []
    for target in links(doc.read_text(encoding="utf-8")):
        if not target or is_external(target):
            continue
        path_part, _, anchor = target.partition("#")
        dest = (doc.parent / path_part).resolve() if path_part else doc
        if not dest.exists():
            problems.append(f"{target}: no file {dest.relative_to(root) if dest.is_relative_to(root) else dest}")
            continue
        if anchor and dest.is_file() and dest.suffix == ".md" and anchor not in anchors(dest):
            problems.append(f"{target}: no heading #{anchor} in {dest.relative_to(root)}")
    return problems


@pytest.mark.parametrize("doc", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    assert broken_links(doc) == []


def test_readme_is_a_map():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines (at most {README_MAX_LINES})"


def test_readme_two_commands_are_the_makefile_and_ci():
    """The README's "Two commands" block names `make quick` and `make test`; the Makefile has both
    targets (quick runs snakemake, test runs pytest) and .ci/run runs `make test`."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make quick", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    quick = re.search(r"^quick:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    test = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "snakemake" in quick and "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test\s*$", ci, re.M)


def test_checker_finds_broken_links(tmp_path):
    """The checker itself: a missing file, a missing heading and a link to a heading of the same
    page; code blocks and inline code are not links."""
    (tmp_path / "other.md").write_text("# Other page\n\n## A `code` heading, with (punctuation)!\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "# Doc\n\n## Same page\n\n"
        "[ok](other.md) [ok](other.md#a-code-heading-with-punctuation) [ok](#same-page)\n"
        "[bad](missing.md) [bad](other.md#nowhere) [bad](#nowhere)\n"
        "[web](https://example.org/x.md) `[not](a-link.md)`\n"
        "```\n[not](in-a-block.md)\n```\n")
    problems = broken_links(doc, root=tmp_path)
    assert [p.split(":")[0] for p in problems] == ["missing.md", "other.md#nowhere", "#nowhere"]


def test_slug_matches_github():
    assert slug("Study `lth`: Cosentino et al. (2019), \"The search\"") == "study-lth-cosentino-et-al-2019-the-search"
    assert slug("Sharing models and metrics (DVC)") == "sharing-models-and-metrics-dvc"
    assert slug("Adam's square root: a slow path for zeros") == "adams-square-root-a-slow-path-for-zeros"
    assert slug("The `published` profile: wall time and fidelity") == "the-published-profile-wall-time-and-fidelity"
    assert slug("What a study's slice and methods can ask for") == "what-a-studys-slice-and-methods-can-ask-for"
