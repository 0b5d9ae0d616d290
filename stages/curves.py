"""Stage `curves`: the train jobs' validation curves of one study as one figure.

    python stages/curves.py --params params.yaml [--params PROFILE.yaml] \
        --curves results/<study>/curves/<dataset>/<method>.csv ... \
        --png results/<study>/plots/curves.png --csv results/<study>/plots/curves.csv

Per data set a panel, per method the mean validation accuracy after each epoch of the final
round over the method's models (the CSV holds the plotted means).
"""

from __future__ import annotations

from holistic import cli
from holistic.records.curves import load_curves
from holistic.render.curves import write_curves_figure


def main(argv=None) -> None:
    p = cli.parser(__doc__.splitlines()[0])
    p.add_argument("--curves", nargs="+", required=True, metavar="FILE",
                   help="curve files results/<study>/curves/<dataset>/<method>.csv of the train jobs")
    p.add_argument("--png", required=True, metavar="FILE", help="output figure")
    p.add_argument("--csv", required=True, metavar="FILE", help="output: the plotted means")
    args = p.parse_args(argv)
    cli.params_from(args)  # validates the parameter files; the figure needs no setting
    write_curves_figure(load_curves(args.curves), args.png, args.csv)


if __name__ == "__main__":
    cli.run_stage(main)
