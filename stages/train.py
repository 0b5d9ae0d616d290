"""Stage `train`: every configuration x split of one method of a study on one data set, trained,
saved, then measured by the attack suite (one process per job: torch is imported once)."""

import time

from holistic import cli
from holistic.jobs import attack as attack_job
from holistic.jobs import deterministic_torch
from holistic.jobs import train as job
from holistic.data.registry import get
from holistic.data.stacked import load_stacked
from holistic.io import write_json
from holistic.methods import base_method
from holistic.records.train_log import log_record
from holistic.studies import STUDIES


def main():
    p = cli.parser(__doc__)
    p.add_argument("--study", required=True, choices=sorted(STUDIES))
    p.add_argument("--dataset", required=True)
    p.add_argument("--method", required=True)
    p.add_argument("--data", required=True, help="data/raw/<dataset>.npz")
    p.add_argument("--splits", required=True, help="data/splits/<dataset>.npz")
    p.add_argument("--out", required=True, help="models/<study>/<dataset>/<method>.safetensors")
    p.add_argument("--log", required=True, help="results/<study>/train/<dataset>/<method>.json (timing)")
    p.add_argument("--eval", required=True, help="results/<study>/eval/<dataset>/<method>.json")
    p.add_argument("--curves", required=True, help="results/<study>/curves/<dataset>/<method>.csv")
    p.add_argument("--source", help="models/<study>/<dataset>/<source method>.safetensors: the trained models "
                                    "a method with a source starts from (the study's sources)")
    args = p.parse_args()
    params = cli.params_from(args)
    method = STUDIES[args.study].method(args.method, params)  # DL@seed+1, DL@steps=2000: DL
    source = STUDIES[args.study].sources.get(base_method(args.method))
    # the method's own training (studies.<study>.method_train); a replicate: seed + its offset; a budget:
    # its round length. The attack suite below measures with the same params.
    params = job.run_params(params, args.method, args.study)
    if (source is None) != (args.source is None):
        p.error(f"method {args.method!r} of study {args.study!r} "
                + (f"starts from method {source!r}: give its model file as --source" if source
                   else "has no source method: --source does not apply"))
    attack_job.check(params, " + ".join(args.params))  # a bad attack setting fails before any training
    deterministic_torch(params)

    data = load_stacked(args.data, args.splits, params["split"]["preprocessing"])
    inputs = (args.data, args.splits) + ((args.source,) if args.source else ())
    resume = job.checkpoint(args.out, params, method, inputs)  # a killed run goes on from it
    result, specs = job.run(params, method, data, label=f"{args.study}/{args.method}", resume=resume,
                            source=args.source)
    meta = {"study": args.study, "dataset": args.dataset, "method": args.method, "model": method.model}
    job.save_trained(args.out, result, specs, meta)
    job.save_curves(args.curves, result, specs, meta)
    start = time.perf_counter()
    attack_job.run(params, get(args.dataset), data, args.out, args.eval)  # the saved models, as shared
    write_json(args.log, log_record(args.dataset, args.method, len(specs), result.steps, result.seconds,
                                    result.best_epoch.tolist(), result.best_val_accuracy.tolist(),
                                    eval_seconds=time.perf_counter() - start,
                                    trace={k: v for k, v in result.extra.items() if k.startswith("sparse_")}))
    resume.discard()  # the job is done


if __name__ == "__main__":
    cli.run_stage(main)
