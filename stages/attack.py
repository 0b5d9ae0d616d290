"""Stage `attack`: natural accuracy, accuracy under the attack suite and sparsity of every model of one job."""

from holistic import cli
from holistic.jobs import attack as job
from holistic.jobs import deterministic_torch
from holistic.data.registry import get
from holistic.data.stacked import load_stacked
from holistic.studies import STUDIES


def main():
    p = cli.parser(__doc__)
    p.add_argument("--study", required=True, choices=sorted(STUDIES))
    p.add_argument("--dataset", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--splits", required=True)
    p.add_argument("--models", required=True)
    p.add_argument("--out", required=True, help="results/<study>/eval/<dataset>/<method>.json")
    args = p.parse_args()
    params = cli.params_from(args)
    STUDIES[args.study].method(args.method)  # an unknown method fails before any work
    deterministic_torch(params)
    data = load_stacked(args.data, args.splits, params["split"]["preprocessing"])
    job.run(params, get(args.dataset), data, args.models, args.out)


if __name__ == "__main__":
    cli.run_stage(main)
