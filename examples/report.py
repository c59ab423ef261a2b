r"""Turns result files into results/README.md: tables and plots.

    python examples/report.py
    python examples/report.py --check   # is the committed README.md what the files give? (writes nothing)

Reads ``results/<dataset>/<model>/<method>-seed<k>/results.json`` and
``history.csv``; writes, per dataset and pair, a table (mean ± std over
seeds of the light and booster test accuracy, training time, with two-stage
methods charged their teacher's time too) beside the paper's CIFAR-10 numbers
for the same methods, and one PNG of two panels (validation accuracy of the
light net per epoch; test accuracy vs training time).
"""

import glob
import os
import re
import statistics

from absl import app, flags

from rocket_keras import methods
from rocket_keras.training.records import epoch_overhead
from rocket_keras.training.results import (accuracies, accuracy_cell, current_command, diverged,
                                           last_validation_accuracy, load_runs, mean_seconds_cell, section_title,
                                           seed_list, total_seconds, trains_head, val_light_accuracy,
                                           write_or_check)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where the printed commands run

flags.DEFINE_string("results_dir", "results", "Root of the result tree.")
flags.DEFINE_bool("check", False, "Write nothing; exit 1 when README.md differs from what the result files and "
                  "notes give (a notes edit after the last report, a run landed without it).")
FLAGS = flags.FLAGS

# Zhou et al. 2018, Table 1 and ablations: CIFAR-10 error (%), WRN-16-1 light
# with a WRN-40-1 booster, interval sharing, 200 epochs; keyed by the method
# spec that matches the authors' code. Their KD and rocket + KD use alpha 0.9
# on a frozen booster. Their no-gradient-block and no-sharing commands pass
# `--grad_block False` / `--param_share False` to an argparse `type=bool`
# flag, which reads any non-empty string as True: those two figures cannot
# be regenerated from their published commands.
PAPER_CIFAR10_ERROR = {
    "light": 8.77,
    "booster": 6.58,
    "kd:alpha=0.9": 8.39,
    "rocket": 7.87,
    "rocket:teacher_alpha=0.9": 7.52,
    "rocket:hint=softmax_mse": 8.32,
    "rocket:hint=kd,hint_weight=1.0": 7.98,
    "rocket:gradient_block=False": 8.50,
    "rocket:share=stem": 8.06,
}
# The evidence study (issue 15): CIFAR-10, ResNet-20 / ResNet-8, the authors'
# recipe at 15 epochs; its section comes first.
STUDY = ("cifar10", "resnet20-resnet8")
# The KD setting the ResNet pair's validation grid chose (issue 29).
RESNET_CHOSEN_KD = "kd:student_loss_weight=0.1,temperature=4"
# Comparisons paired by seed (method, baseline, head): the same seed gives
# both runs the same shuffling and augmentation order, so the per-seed
# difference leaves out part of the seed-to-seed spread that the
# unpaired means carry.
PAIRED = (
    ("rocket", "light", "light"),
    ("rocket", "kd:alpha=0.9", "light"),
    ("kd:alpha=0.9", "light", "light"),
    ("rocket:teacher_alpha=0.9", "rocket", "light"),
    ("rocket:gradient_block=False", "rocket", "light"),
    ("rocket:share=stem", "rocket", "light"),
    ("rocket", "booster", "booster"),
    ("rocket:teacher_alpha=0.9", "booster", "booster"),
    ("rocket:gradient_block=False", "booster", "booster"),
    ("rocket:share=stem", "booster", "booster"),
    # That KD setting, run as it is on the other pairs.
    ("rocket", RESNET_CHOSEN_KD, "light"),
    (RESNET_CHOSEN_KD, "light", "light"),
    # Deep Mutual Learning, rocket's online peer (issue 29).
    ("rocket", "dml", "light"),
    ("dml", "light", "light"),
    ("dml", "booster", "booster"),
)
# Rocket variants checked against the targets: the paper's rocket, its KD
# variants, and lambdas chosen on the validation split.
TARGET_PARAMETERS = {"hint_weight", "kd_weight", "teacher_alpha"}


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def relink(markdown, from_dir, to_dir):
    """Rewrites the relative links of ``markdown`` written in ``from_dir`` for a file in ``to_dir``."""

    def rewrite(match):
        target = match.group(1)
        if re.match(r"^([a-z]+:|#|/)", target):  # URL, anchor or absolute path: as is
            return match.group(0)
        return f"]({os.path.relpath(os.path.join(from_dir, target), to_dir)})"

    return _LINK.sub(rewrite, markdown)


def light_curves(items):
    """Per-run validation accuracy of the light net per epoch; diverged runs left out
    (a diverged run's history stops early; it would cut the mean curve short)."""
    curves = [[val_light_accuracy(r) for r in history] for result, history, _ in items if history and not diverged(result)]
    return [c for c in curves if c and None not in c]


def per_epoch(curves):
    """``(epochs, values at each epoch)`` over the curves that reach that epoch:
    a history that lost its last rows thins the later epochs, it does not cut
    every curve of its method short."""
    length = max(map(len, curves))
    return range(1, length + 1), [[c[i] for c in curves if len(c) > i] for i in range(length)]


# A fall of the light net's validation accuracy between two epochs larger than
# this is a collapse (issue 28's robustness target: never more than 10 points).
COLLAPSE_POINTS = 10.0


def largest_fall_line(runs):
    """The largest fall of the light net's validation accuracy from one epoch to the next over the
    section's runs (diverged ones included: a blow-up before the loss went non-finite counts), and
    the runs whose fall is over ``COLLAPSE_POINTS``; None when no run has two epochs of it."""
    falls = []
    for method, items in sorted(runs.items()):
        for result, history, _ in items:
            curve = [val_light_accuracy(row) for row in history]
            if trains_head(result, "light") and len(curve) > 1 and None not in curve:
                fall = max(100 * (before - after) for before, after in zip(curve, curve[1:]))
                falls.append((fall, method, result["seed"]))
    if not falls:
        return None
    fall, method, seed = max(falls)
    collapsed = ", ".join(f"{m} seed {s} ({f:.1f})" for f, m, s in falls if f > COLLAPSE_POINTS) or "none"
    return (f"Largest fall of the light net's validation accuracy between two epochs: "
            f"{max(fall, 0.0):.2f} points ({method}, seed {seed}); runs over {COLLAPSE_POINTS:.0f} points: {collapsed}.")


def kd_spec(runs):
    """The KD baseline of a pair: the authors' weighting where it was run, else plain ``kd``."""
    return next((spec for spec in ("kd:alpha=0.9", "kd") if spec in runs), "kd")


def plots(path, runs):
    """Draws the pair's three panels into the PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (epoch_axis, focus, vs_time) = plt.subplots(1, 3, figsize=(16, 4))
    # One colour per method in both panels (the default cycle repeats after 10).
    colours = {method: plt.cm.tab20(i % 20) for i, method in enumerate(sorted(runs))}
    for method, items in sorted(runs.items()):
        curves = light_curves(items)
        if curves and method != "booster":
            epochs, values = per_epoch(curves)
            epoch_axis.plot(epochs, [statistics.mean(v) for v in values], marker="o", label=method, color=colours[method])
        key = "booster_test_accuracy" if method == "booster" else "light_test_accuracy"
        points = [(total_seconds(r), r[key]) for r, _, _ in items if key in r]
        if points:
            vs_time.scatter(*zip(*points), label=method, color=colours[method])
    # The study's three light nets alone, in colours apart, with the spread over seeds.
    for method, colour in zip(("light", kd_spec(runs), "rocket"), ("black", "tab:blue", "tab:red")):
        curves = light_curves(runs.get(method, []))
        if curves:
            epochs, per_seed = per_epoch(curves)
            focus.plot(epochs, [statistics.mean(v) for v in per_seed], marker="o", color=colour,
                       label=f"{method} (seeds {seed_list([r for r, _, _ in runs[method]])})")
            focus.fill_between(epochs, [min(v) for v in per_seed], [max(v) for v in per_seed], color=colour, alpha=0.15)
    epoch_axis.set(xlabel="epoch", ylabel="validation accuracy (light net)", title="Light net per epoch (mean over seeds)")
    focus.set(xlabel="epoch", ylabel="validation accuracy (light net)", title="Light alone, KD, rocket (mean, min-max over seeds)")
    vs_time.set(xlabel="total training time (s, teacher included)", ylabel="test accuracy", title="Accuracy vs training time")
    for axis in (epoch_axis, focus, vs_time):
        axis.grid(alpha=0.3)
        if axis.has_data():
            axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def light_accuracies(runs, method):
    return accuracies([r for r, _, _ in runs.get(method, [])], "light")


def target_lines(runs):
    """The issue's targets, checked on the means over seeds: met or missed."""
    lines = []

    def verdict(ok):
        return "**met**" if ok else "**missed**"

    candidates = sorted(
        spec for spec in runs
        if methods.parse(spec).name == "rocket" and {k for k, _ in methods.parse(spec).params} <= TARGET_PARAMETERS
    )
    kd = kd_spec(runs)
    for rocket in candidates:
        ours = light_accuracies(runs, rocket)
        if not ours:
            continue
        for other, relation in (("light", "more accurate than"), (kd, "at least as accurate as")):
            theirs = light_accuracies(runs, other)
            if theirs:
                a, b = statistics.mean(ours), statistics.mean(theirs)
                ok = a > b if other == "light" else a >= b
                lines.append(
                    f"- {rocket} light net {relation} {other}: {verdict(ok)} "
                    f"({100 * a:.2f} vs {100 * b:.2f}, n={len(ours)} and {len(theirs)})"
                )
        lines += study_lines(runs, rocket, ours, verdict)
        theirs_runs = [r for r, _, _ in runs.get(kd, []) if not diverged(r)]
        if theirs_runs:
            # Both sides charged their teacher: rocket + KD needs the booster trained first.
            ours_s = statistics.mean(total_seconds(r) for r, _, _ in runs[rocket] if not diverged(r))
            theirs_s = statistics.mean(total_seconds(r) for r in theirs_runs)
            lines.append(
                f"- {rocket} training time below booster + KD student (teachers included): {verdict(ours_s < theirs_s)} "
                f"({ours_s:.0f} s vs {theirs_s:.0f} s)"
            )
    return lines


def study_lines(runs, rocket, ours, verdict):
    """The evidence study's further targets for one rocket variant: the margin
    over light alone in standard deviations, gap closure, the booster head
    against the booster alone, and rocket + KD from a frozen booster above rocket."""
    lines = []
    light = light_accuracies(runs, "light")
    booster = accuracies([r for r, _, _ in runs.get("booster", [])], "booster")
    if len(ours) > 1 and len(light) > 1:
        margin = statistics.mean(ours) - statistics.mean(light)
        spread = max(statistics.stdev(ours), statistics.stdev(light))
        lines.append(
            f"- {rocket} light net above light alone by more than 2 standard deviations of either: "
            f"{verdict(margin > 2 * spread)} ({100 * margin:+.2f} points, 2 std = {200 * spread:.2f})"
        )
    if light and booster and statistics.mean(booster) > statistics.mean(light):
        closure = (statistics.mean(ours) - statistics.mean(light)) / (statistics.mean(booster) - statistics.mean(light))
        # The same ratio seed by seed, on the seeds all three share.
        per_run = [by_seed(runs, spec, head) for spec, head in ((rocket, "light"), ("light", "light"), ("booster", "booster"))]
        seeds = sorted(set.intersection(*(set(d) for d in per_run)))
        per_seed = [(per_run[0][k] - per_run[1][k]) / (per_run[2][k] - per_run[1][k]) for k in seeds if per_run[2][k] > per_run[1][k]]
        detail = f"; seed by seed: {', '.join(f'{100 * c:.0f}' for c in per_seed)} %" if len(per_seed) > 1 else ""
        lines.append(
            f"- {rocket} gap closure (rocket - light) / (booster - light) of at least 40 %: "
            f"{verdict(closure >= 0.4)} ({100 * closure:.0f} %{detail})"
        )
    heads = accuracies([r for r, _, _ in runs.get(rocket, [])], "booster")
    if heads and booster:
        gap = statistics.mean(heads) - statistics.mean(booster)
        lines.append(
            f"- {rocket} booster head within 0.5 points of the booster alone: {verdict(abs(gap) <= 0.005 or gap > 0)} "
            f"({100 * statistics.mean(heads):.2f} vs {100 * statistics.mean(booster):.2f})"
        )
    with_kd = light_accuracies(runs, f"{rocket},teacher_alpha=0.9" if ":" in rocket else f"{rocket}:teacher_alpha=0.9")
    if with_kd:
        lines.append(
            f"- rocket + KD from the frozen booster above {rocket}: {verdict(statistics.mean(with_kd) > statistics.mean(ours))} "
            f"({100 * statistics.mean(with_kd):.2f} vs {100 * statistics.mean(ours):.2f})"
        )
    return lines


def by_seed(runs, method, head):
    """``{seed: test accuracy of head}`` over the runs of ``method`` that measured it."""
    return {r["seed"]: r[f"{head}_test_accuracy"] for r, _, _ in runs.get(method, []) if f"{head}_test_accuracy" in r}


def paired_line(label, ours, theirs):
    """One line for ``{seed: accuracy}`` maps ``ours`` and ``theirs``: the mean and standard deviation of
    their per-seed differences and its two-sided 95 % t interval; None under two shared seeds."""
    from scipy import stats

    seeds = sorted(set(ours) & set(theirs))
    if len(seeds) < 2:
        return None
    differences = [100 * (ours[s] - theirs[s]) for s in seeds]
    mean, std = statistics.mean(differences), statistics.stdev(differences)
    half = stats.t.ppf(0.975, len(seeds) - 1) * std / len(seeds) ** 0.5
    per_seed = ", ".join(f"{d:+.2f}" for d in differences)
    return (f"- {label}: {mean:+.2f} ± {std:.2f} points, "
            f"95 % interval [{mean - half:+.2f}, {mean + half:+.2f}] (seeds {','.join(map(str, seeds))}: {per_seed})")


def paired_lines(runs):
    """Per-seed differences for the ``PAIRED`` comparisons with two or more shared seeds."""
    lines = [paired_line(f"{method} − {baseline}, {head} net", by_seed(runs, method, head), by_seed(runs, baseline, head))
             for method, baseline, head in PAIRED]
    return [line for line in lines if line]


# Flags of a run's command that say which run it is, not how it trains.
NOT_RECIPE_FLAGS = re.compile(r"--(method|seed|output_dir|verbose|teacher|(no)?export)(=\S*)?(?=\s|$)")


def recipe_of(result):
    """How a run trained: its ``--flagfile`` (under today's name) and every other flag of its command
    but the method, seed, paths and output settings (``--epochs=5`` beside a flagfile of 15 is another
    recipe), or None without a flagfile."""
    command = current_command(result)
    if not re.search(r"--flagfile=\S+", command):
        return None
    return " ".join(NOT_RECIPE_FLAGS.sub("", command).split()[1:])


def records(runs):
    """Every run's record in ``runs`` (``load_runs``' ``{method: [(record, history, directory), ...]}``)."""
    return [result for items in runs.values() for result, _, _ in items]


def base_study(pair_dir):
    """``(name, runs)`` of a tagged study ``<model>.<tag>``'s base study ``<model>`` beside it, or
    ``(None, {})``. The model's name may hold dots itself (mobilenet1.0-mobilenet0.35.first_5_epochs):
    the base is the longest prefix of the name, cut at a dot, that is a study directory."""
    parent, parts = os.path.dirname(pair_dir), os.path.basename(pair_dir).split(".")
    for cut in range(len(parts) - 1, 0, -1):
        candidate = os.path.join(parent, ".".join(parts[:cut]))
        if os.path.isdir(candidate):
            return os.path.basename(candidate), load_runs(candidate)
    return None, {}


def same_recipe(runs, base):
    """Whether every run of a tagged study and of its ``base`` study (``base_study``) used one recipe
    (``recipe_of``): another recipe, or the same file with other flags, is another experiment."""
    recipes = {recipe_of(result) for result in records(runs) + records(base)}
    return bool(base) and len(recipes) == 1 and None not in recipes


# The flags a study of the first epochs of another's schedule changes: fewer epochs, and the rate drops
# moved so that those before its end fall where the longer schedule's do (--epochs=5 --lr_decay_at=0.9
# of a 15-epoch recipe dropping at 0.3: both at epoch 4.5).
SCHEDULE_FLAGS = re.compile(r"--(epochs|lr_decay_at)=\S*(?=\s|$)")


def rate_drops_before(result, epoch):
    """The epochs (fractional) before ``epoch`` at which the run's step schedule lowered its rate."""
    run_flags = result.get("flags", {})
    drops = (float(fraction) * result["epochs"] for fraction in run_flags.get("lr_decay_at") or [])
    return tuple(sorted(round(drop, 6) for drop in drops if drop < epoch))


def first_epochs(runs, base):
    """E, where a tagged study's runs are the first E epochs of its ``base`` study's schedule
    (``base_study``), else None.

    The first epochs are the same schedule when every run of both studies has one recipe but for
    ``--epochs`` and ``--lr_decay_at`` (``recipe_of``), all use the step schedule, the same rate drops
    fall before epoch E, and every base run is longer than E."""
    ours, theirs = records(runs), records(base)
    lengths = {result["epochs"] for result in ours}
    if not theirs or len(lengths) != 1:
        return None
    (epochs,) = lengths
    everything = ours + theirs
    recipes = {recipe_of(result) for result in everything}
    if (None in recipes or len({SCHEDULE_FLAGS.sub("", recipe).strip() for recipe in recipes}) != 1
            or min(result["epochs"] for result in theirs) <= epochs
            or any(result.get("flags", {}).get("lr_schedule", "step") != "step" for result in everything)
            or len({rate_drops_before(result, epochs) for result in everything}) != 1):
        return None
    return epochs


def validation_curve_cells(result, rows):
    """The validation accuracies % of a run's light net after each epoch of ``rows``, and its booster's
    (a pair's head or the booster alone) after the last one."""
    cells = []
    if trains_head(result, "light"):
        cells.append("light net " + ", ".join(f"{100 * val_light_accuracy(row):.2f}" for row in rows))
    if trains_head(result, "booster"):
        key = "val_booster_accuracy" if "val_booster_accuracy" in rows[-1] else "val_accuracy"
        head = "booster head" if trains_head(result, "light") else "booster"
        cells.append(f"{head} {100 * float(rows[-1][key]):.2f} after epoch {len(rows)}")
    return "; ".join(cells)


def first_epochs_lines(runs, epochs, base):
    """Each run of a study of the first ``epochs`` epochs (``first_epochs``) and each of its base
    study's runs on the same seeds, their validation accuracy after each of those epochs."""
    seeds = {result["seed"] for result in records(runs)}
    lines = []
    for study, label in ((runs, ""), (base, " (longer study)")):
        for method, items in sorted(study.items()):
            for result, history, _ in items:
                rows = history[:epochs]
                complete = len(rows) == epochs and None not in map(val_light_accuracy, rows)
                if result["seed"] in seeds and complete and not diverged(result):
                    lines.append(f"- `{method}`{label}, seed {result['seed']}: {validation_curve_cells(result, rows)}")
    return lines


def base_study_lines(runs, base):
    """For a tagged study ``<pair>.<tag>``, each of its light-net methods with two or more seeds paired
    by seed with the ``base`` study's rocket and light alone, where both studies' runs used one recipe
    (``same_recipe``; ``{}`` otherwise: no lines)."""
    lines = []
    for method, items in sorted(runs.items()):
        if len(items) < 2 or not trains_head(items[0][0], "light"):
            continue
        ours = by_seed(runs, method, "light")
        for label, first, second in ((f"rocket − {method}", by_seed(base, "rocket", "light"), ours),
                                     (f"{method} − light", ours, by_seed(base, "light", "light"))):
            line = paired_line(f"{label}, light net", first, second)
            if line:
                lines.append(line)
    return lines


def validation_lines(runs, base_name=None, base=None):
    """Per method with several settings run on seed 0 (a grid), each setting's last-epoch
    validation accuracy of the light net, best first: what a setting is chosen on (never the test split).

    With a tagged study's ``base`` study (``same_recipe``), the base study's run of the method
    with its default settings joins its family's ranking as ``` `rocket` in <base_name> ``` (where
    the tagged study did not run them itself): the setting a new one has to beat."""
    families = {}
    for spec, items in runs.items():
        for result, history, _ in items:
            accuracy = last_validation_accuracy(result, history)
            if result["seed"] == 0 and accuracy is not None:
                families.setdefault(methods.parse(spec).name, []).append((accuracy, f"`{spec}`"))
    for family, scored in families.items():
        if family in runs:
            continue  # the study ran the default settings itself
        for result, history, _ in (base or {}).get(family, []):
            accuracy = last_validation_accuracy(result, history)
            if result["seed"] == 0 and accuracy is not None:
                scored.append((accuracy, f"`{family}` in {base_name}"))
    lines = []
    for family, scored in sorted(families.items()):
        if len(scored) > 1:
            ranked = sorted(scored, reverse=True)
            cells = ", ".join(f"{setting} {100 * accuracy:.2f}" for accuracy, setting in ranked)
            lines.append(f"- {family}: {cells} (highest: {ranked[0][1]})")
    return lines


def load_lines(runs):
    """Per run that recorded it (``epoch_times``, train.py), the highest 1-minute
    load average at an epoch end: about the core count when the run had the
    machine to itself, more when another job shared it; and, where recorded,
    the epochs' overhead over their steps (``records.epoch_overhead``)."""
    lines = []
    for method, items in sorted(runs.items()):
        for result, _, _ in items:
            epochs = result.get("epoch_times", [])
            if epochs:
                cores = f" on {result['cpu_count']} cores" if result.get("cpu_count") else ""
                seconds = [epoch["seconds"] for epoch in epochs]
                overheads = [o for o in map(epoch_overhead, epochs) if o is not None]
                overhead = (f"; epoch / (steps x median step) {min(overheads):.2f}-{max(overheads):.2f}"
                            if overheads else "")
                lines.append(
                    f"- {method}, seed {result['seed']}: {max(e['load_average'] for e in epochs):.1f}{cores} "
                    f"({len(epochs)} epochs of {min(seconds):.0f}-{max(seconds):.0f} s{overhead})"
                )
    return lines


def section(pair_dir):
    runs = load_runs(pair_dir)
    if not runs:
        return ""
    dataset, model = pair_dir.split(os.sep)[-2:]
    # The paper's figures are CIFAR-10 ones: shown only beside CIFAR-10 runs,
    # and only where some method of the table has one.
    with_paper = dataset == "cifar10" and any(method in PAPER_CIFAR10_ERROR for method in runs)
    paper_header = " paper CIFAR-10 acc. % (WRN-40-1/16-1) |" if with_paper else ""
    lines = [
        f"## {section_title(dataset, model)}",
        "",
        "| method | seeds | light test acc. % | booster test acc. % | training s (mean, teacher incl.) | epochs |"
        + paper_header,
        "| --- | --- | --- | --- | --- | --- |" + (" --- |" if with_paper else ""),
    ]
    for method, items in sorted(runs.items()):
        results = [r for r, _, _ in items]
        paper = PAPER_CIFAR10_ERROR.get(method)
        paper_cell = f" {'-' if paper is None else f'{100 - paper:.2f}'} |" if with_paper else ""
        lines.append(
            f"| {method} | {seed_list(results)} "
            f"| {accuracy_cell(results, 'light')} "
            f"| {accuracy_cell(results, 'booster')} "
            f"| {mean_seconds_cell(results)} "
            f"| {results[0]['epochs']} |" + paper_cell
        )
    notes = os.path.join(pair_dir, "NOTES.md")
    if os.path.exists(notes):  # hand-written context: recipe, caveats
        with open(notes) as f:
            # Links in NOTES.md point from its own directory.
            lines += ["", relink(f.read().strip(), pair_dir, FLAGS.results_dir)]
    targets = target_lines(runs)
    if targets:
        lines += ["", "Targets (means over seeds; times from this table):", "", *targets]
    base_name, base_runs = base_study(pair_dir)
    base = base_runs if same_recipe(runs, base_runs) else {}
    validation = validation_lines(runs, base_name, base)
    if validation:
        lines += ["", "The settings run on seed 0, by the light net's validation accuracy % at the last epoch "
                  "(highest first): what a setting is chosen on, never the test split; an ablation listed here "
                  "is not a choice to make:", "", *validation]
    loads = load_lines(runs)
    if loads:
        lines += ["", "Machine load during each run that recorded it (the highest 1-minute load average at an "
                  "epoch end: a run alone reads about its core count, a job beside it more):", "", *loads]
    fall = largest_fall_line(runs)
    if fall:
        lines += ["", fall]
    paired = paired_lines(runs)
    if paired:
        lines += ["", "Differences paired by seed (test accuracy; mean ± std of the per-seed differences, "
                  "and their 95 % t interval: a weak test at 2-3 seeds, and each accuracy on 10,000 test "
                  "images carries a binomial sampling error of about 0.4 points at 70-90 %):", "", *paired]
    against_base = base_study_lines(runs, base)
    epochs = first_epochs(runs, base_runs)
    early = first_epochs_lines(runs, epochs, base_runs) if epochs else []
    if early:
        lines += ["", f"Validation accuracy % after epochs 1-{epochs}, beside the same epochs of the `{base_name}` "
                  f"study's runs on the same seeds (one recipe and the same rate drops up to epoch {epochs}):",
                  "", *early]
    if against_base:
        lines += ["", f"Against the `{base_name}` study's rocket and light alone (same recipe), paired by "
                  "seed as above:", "", *against_base]
    image = os.path.join(pair_dir, "accuracy.png")
    if not FLAGS.check:
        plots(image, runs)
    first, _, directory = next(iter(runs.values()))[0]
    lines += ["", f"![accuracy]({os.path.relpath(image, FLAGS.results_dir)})", "", f"Example command (first run): `{current_command(first, directory, ROOT)}`", ""]
    return "\n".join(lines)


def main(argv):
    del argv
    pair_dirs = sorted(glob.glob(os.path.join(FLAGS.results_dir, "*", "*")))
    # The evidence study leads; the 3-epoch runs follow as smoke runs.
    study = os.path.join(FLAGS.results_dir, *STUDY)
    pair_dirs = [d for d in pair_dirs if d == study] + [d for d in pair_dirs if d != study]
    body = "\n".join(filter(None, (section(d) for d in pair_dirs if os.path.isdir(d))))
    header = (
        "# Measured results\n\n"
        "Generated by `python examples/report.py` from the result files in this directory "
        "(each `results.json` holds the command that produced it). Accuracies are on each "
        "dataset's test split, mean ± standard deviation over the seeds listed; nothing was "
        "tuned on the test split. Training times were taken on a 2-core CPU machine; runs that "
        "shared the machine with other jobs are slower, so compare times within one table only.\n\n"
        "The CIFAR-10 sections, all at 15 epochs, are the evidence: the study, ResNet-20 booster / "
        "ResNet-8 light on 3 seeds with the authors' recipe, first; then MobileNetV2 1.0 / 0.35, the KD "
        "grid, the strong recipe and its ablations, and the paper's own pair, WRN-40-1 / WRN-16-1, on "
        "3 seeds. The Fashion-MNIST sections are short runs (3 epochs): smoke tests of the code paths, "
        "not evidence about the method.\n\n"
        "The paper column, in the CIFAR-10 tables that run one of its methods, is Zhou et al. (2018), "
        "CIFAR-10, WRN-16-1 light / WRN-40-1 booster, 200 epochs: a reference for the ordering of "
        "methods, not the same experiment.\n\n"
    )
    path = os.path.join(FLAGS.results_dir, "README.md")
    if not write_or_check(path, header + body, FLAGS.check):
        raise SystemExit(f"{path} is stale: run `python examples/report.py` and commit what it writes.")
    print(f"{path} is up to date" if FLAGS.check else f"wrote {path}")


if __name__ == "__main__":
    app.run(main)
