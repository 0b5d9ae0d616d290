"""Stage `html`: Markdown or text results as HTML pages for the Snakemake report, the i-th
source to the i-th output (a study's pages in one process).

    python stages/html_page.py --src results/a.md results/b.txt --out results/a.html results/b.html
"""

from __future__ import annotations

from holistic import cli
from holistic.render.html import render_file


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--src", required=True, nargs="+", metavar="FILE", help="Markdown (.md) or text files")
    p.add_argument("--out", required=True, nargs="+", metavar="FILE", help="output HTML files, one per source")
    args = p.parse_args(argv)
    if len(args.src) != len(args.out):
        p.error(f"--src names {len(args.src)} files and --out {len(args.out)}: give one output per source")
    cli.params_from(args)  # validates the parameter files; a page needs no setting
    for src, out in zip(args.src, args.out):
        render_file(src, out)


if __name__ == "__main__":
    cli.run_stage(main)
