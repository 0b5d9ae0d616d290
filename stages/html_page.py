"""Stage `html_page`: a Markdown or text result as an HTML page for the Snakemake report.

    python stages/html_page.py --src results/fidelity.md --out results/fidelity.html
"""

from __future__ import annotations

from holistic import cli
from holistic.render.html import render_file


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--src", required=True, metavar="FILE", help="Markdown (.md) or text file")
    p.add_argument("--out", required=True, metavar="FILE", help="output HTML file")
    args = p.parse_args(argv)
    cli.params_from(args)  # validates the parameter files; a page needs no setting
    render_file(args.src, args.out)


if __name__ == "__main__":
    cli.run_stage(main)
