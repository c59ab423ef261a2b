r"""N2N's policies against the random-search control: best reward per trained child, over seeds.

Reads the searches that ``examples/search_control.sh`` runs, one directory
per sampler and seed (``<search_dir>/policy-seed0``, ``random-seed0``, ...),
and writes ``<search_dir>/control.png`` (the best reward found against the
number of children trained: each sampler's mean over seeds with its range)
and ``<search_dir>/control.md`` (each search's best reward at the number of
trained children every search reached, the paired differences, the best
children, and the test accuracy of those retrained like the zoo's light net,
``<search_dir>/retrained/<child>/``, beside ResNet-8):

    python examples/search_control_report.py --search_dir=results/search/fashion_mnist-resnet20-layer

With ``--write_children`` it writes, instead, what the retraining trains: in
each search's directory, the best child among its first ``common`` trained
children, ``common`` being the number every search reached
(``best_child_common.json``), and the most accurate of them within the pair's
light net's parameters (``best_child_within_<light>_common.json``, absent
when none is that small). The policy draws children it has seen before more
often than random search does, and those cost no training, so two searches of
the same number of drawn children have trained different numbers; cut at
``common``, both had the same cost.
"""

import glob
import json
import os
import re

import numpy as np
from absl import app, flags

flags.DEFINE_string("search_dir", "results/search/fashion_mnist-resnet20-layer",
                    "Directory holding one search per sampler and seed (<sampler>-seed<k>).")
flags.DEFINE_bool("write_children", False, "Write each search's best children among the first <common> trained "
                  "(best_child_common.json, best_child_within_<light>_common.json) and exit; see the docstring.")
FLAGS = flags.FLAGS

SAMPLERS = ("policy", "random")


def load_searches(search_dir):
    """``{sampler: {seed: (curve, summary or None)}}`` for every ``<sampler>-seed<k>`` directory."""
    from rocket_keras.search import best_reward_curve, read_children

    searches = {sampler: {} for sampler in SAMPLERS}
    for path in sorted(glob.glob(os.path.join(search_dir, "*-seed*"))):
        match = re.fullmatch(r"(\w+)-seed(\d+)", os.path.basename(path))
        if not match or match.group(1) not in searches or not os.path.exists(os.path.join(path, "children.jsonl")):
            continue
        summary_path = os.path.join(path, "summary.json")
        summary = json.load(open(summary_path)) if os.path.exists(summary_path) else None
        searches[match.group(1)][int(match.group(2))] = (best_reward_curve(read_children(path)), summary)
    return searches


def plot(searches, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for sampler, runs in searches.items():
        curves = [curve for curve, _ in runs.values() if curve]
        if not curves:
            continue
        length = min(len(c) for c in curves)
        values = np.array([c[:length] for c in curves])
        steps = np.arange(1, length + 1)
        label = "N2N policies" if sampler == "policy" else "random search"
        ax.plot(steps, values.mean(0), label=f"{label} (mean of {len(curves)} seeds)")
        ax.fill_between(steps, values.min(0), values.max(0), alpha=0.2)
    ax.set_xlabel("children trained")
    ax.set_ylabel("best reward so far")
    ax.set_title("N2N against random search: the same space, teacher and child budget")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def table(searches):
    """The markdown summary: best reward at a common number of trained children, per seed and sampler."""
    common = common_trained(searches)
    if common is None:
        return "No search has trained a child yet.\n"
    seeds = sorted({s for r in searches.values() for s in r})
    lines = [f"Best reward after {common} trained children (the number every search reached):", "",
             "| sampler | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± std |",
             "| --- " * (2 + len(seeds)) + "|"]
    at_common = {}
    for sampler, runs in searches.items():
        at_common[sampler] = {s: runs[s][0][common - 1] for s in runs if runs[s][0]}
        values = list(at_common[sampler].values())
        cells = [f"{at_common[sampler][s]:.4f}" if s in at_common[sampler] else "-" for s in seeds]
        spread = f"{np.mean(values):.4f} ± {np.std(values, ddof=1):.4f}" if len(values) > 1 else "-"
        lines.append(f"| {sampler} | " + " | ".join(cells) + f" | {spread} |")
    paired = [at_common["policy"][s] - at_common["random"][s] for s in seeds
              if s in at_common["policy"] and s in at_common["random"]]
    if paired:
        lines += ["", "Policy minus random, paired by seed: " + ", ".join(f"{d:+.4f}" for d in paired)
                  + (f" (mean {np.mean(paired):+.4f}, std {np.std(paired, ddof=1):.4f})" if len(paired) > 1 else "")]
    lines += ["", "Best child of each finished search (its whole run):", "",
              "| search | children trained | best reward | parameters | validation accuracy | stage |",
              "| --- | --- | --- | --- | --- | --- |"]
    for sampler, runs in searches.items():
        for seed, (curve, summary) in sorted(runs.items()):
            if summary is None:
                lines.append(f"| {sampler}-seed{seed} | {len(curve)} | unfinished | | | |")
                continue
            best = summary["best"]
            lines.append(f"| {sampler}-seed{seed} | {summary['children_trained']} | {best['reward']:.4f} | "
                         f"{best['params']:,} | {best['accuracy']:.4f} | {best['stage']} |")
    return "\n".join(lines) + "\n"


def retrained_table(search_dir):
    """The children retrained by examples/search_control.sh (``<search_dir>/retrained/<child>/<dataset>/<pair>/
    light-seed<k>``): parameters and test accuracy over the training seeds, ResNet-8 first; "" when none."""
    from rocket_keras.training.results import accuracies, load_runs, mean_std, seed_list

    rows = []
    children = glob.glob(os.path.join(search_dir, "retrained", "*"))
    for path in sorted(children, key=lambda p: (os.path.basename(p) != "resnet8", p)):
        results = [r for pair_dir in sorted(glob.glob(os.path.join(path, "*", "*")))
                   for r, _, _ in load_runs(pair_dir).get("light", [])]
        if results:
            rows.append(f"| {os.path.basename(path)} | {results[0]['light_parameters']:,} | {seed_list(results)} | "
                        f"{mean_std(accuracies(results, 'light'))} |")
    if not rows:
        return ""
    return "\n".join(["", "Retrained like the zoo's light net (each search's best children among the trained "
                      "children every search reached; light alone, the Fashion-MNIST demo recipe; test "
                      "accuracy %, mean ± std over the training seeds):", "",
                      "| child | parameters | seeds | test accuracy % |", "| --- | --- | --- | --- |", *rows]) + "\n"


def common_trained(searches):
    """The number of trained children every search reached (``None`` before any trained one)."""
    curves = [curve for runs in searches.values() for curve, _ in runs.values() if curve]
    return min(len(c) for c in curves) if curves else None


def write_common_children(search_dir):
    """Writes each finished search's best children among its first ``common`` trained; returns ``common``."""
    from rocket_keras import zoo
    from rocket_keras.search import best_child, read_children, trained_prefix
    from rocket_keras.zoo.spec import save_spec, spec_from_dict

    searches = load_searches(search_dir)
    unfinished = [f"{sampler}-seed{seed}" for sampler, runs in searches.items()
                  for seed, (_, summary) in runs.items() if summary is None]
    common = common_trained(searches)
    if unfinished or common is None:
        raise ValueError(f"Every search must be finished first. Received: unfinished {unfinished or 'none'}, "
                         f"searches {[f'{s}-seed{k}' for s, r in searches.items() for k in r] or 'none'}")
    for sampler, runs in searches.items():
        for seed, (_, summary) in runs.items():
            directory = os.path.join(search_dir, f"{sampler}-seed{seed}")
            children = trained_prefix(read_children(directory), common)
            booster, light = zoo.pair_architectures(summary["flags"]["model"])
            like = zoo.network_spec(booster)
            save_spec(spec_from_dict(best_child(children).architecture, like), booster,
                      os.path.join(directory, "best_child_common.json"))
            small = best_child(children, max_params=summary["light"]["params"])
            path = os.path.join(directory, f"best_child_within_{light}_common.json")
            if small is not None:
                save_spec(spec_from_dict(small.architecture, like), booster, path)
            elif os.path.exists(path):
                os.remove(path)
    return common


def main(argv):
    del argv
    if FLAGS.write_children:
        common = write_common_children(FLAGS.search_dir)
        print(f"wrote each search's best children among its first {common} trained")
        return
    searches = load_searches(FLAGS.search_dir)
    plot(searches, os.path.join(FLAGS.search_dir, "control.png"))
    text = table(searches) + retrained_table(FLAGS.search_dir)
    with open(os.path.join(FLAGS.search_dir, "control.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    app.run(main)
