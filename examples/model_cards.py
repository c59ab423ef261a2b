r"""Writes recipes/<pair>/README.md, a model card for every registered pair.

    python examples/model_cards.py
    python examples/model_cards.py --check   # are the committed cards what the files give? (writes nothing)

Architecture, parameters and FLOPs come from building the model; accuracies
and file sizes from the committed result files under
``results/<dataset>/<pair>/<method>-seed<k>/results.json``. A figure with no
result file says "not measured". The card's recipes are the flagfiles in
``recipes/<pair>/`` (one per dataset and budget).
"""

import glob
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app, flags, logging  # noqa: E402
from rocket_keras.training.results import (accuracy_cell, current_command, diverged, from_root,  # noqa: E402
                                           load_runs, mean_seconds_cell, section_anchor, section_title, seed_list,
                                           write_or_check)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where the printed commands run

flags.DEFINE_string("recipes_dir", "recipes", "Where the recipes are and the model cards go.")
flags.DEFINE_string("results_dir", "results", "Where the result files are.")
flags.DEFINE_list("pairs", None, "The registered pairs whose cards to write or check (default: every one), "
                  "for example `--pairs=resnet20-resnet8`.")
flags.DEFINE_bool("check", False, "Write nothing; exit 1 naming every card that differs from what the result "
                  "files, recipes and presets give.")
FLAGS = flags.FLAGS

NOT_MEASURED = "not measured"


def collect(name):
    """``{dataset: runs}`` of configuration ``name`` (see rocket_keras.training.results.load_runs)."""
    return {
        os.path.basename(os.path.dirname(pair_dir)): load_runs(pair_dir)
        for pair_dir in sorted(glob.glob(os.path.join(FLAGS.results_dir, "*", name)))
    }


def measured_section(runs_by_dataset, name):
    runs_by_dataset = {d: r for d, r in runs_by_dataset.items() if r}
    if not runs_by_dataset:
        return f"No run of this configuration is committed yet: accuracy {NOT_MEASURED}, exported sizes {NOT_MEASURED}.\n"
    text = ""
    for dataset, runs in runs_by_dataset.items():
        lines = [
            f"### {dataset}",
            "",
            "Test accuracy %, mean ± std over seeds (one seed: its value); \"-\": the method trains no such net.",
            "",
            "| method | seeds | light net | booster net | training s (mean, teacher incl.) | epochs | train size | command of the first run |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        sizes = []
        for method, items in sorted(runs.items()):
            results = [r for r, _, _ in items]
            lines.append(
                f"| {method} | {seed_list(results)} "
                f"| {accuracy_cell(results, 'light', NOT_MEASURED)} "
                f"| {accuracy_cell(results, 'booster', NOT_MEASURED)} "
                f"| {mean_seconds_cell(results)} "
                f"| {results[0]['epochs']} | {results[0]['train_size']} | `{current_command(results[0], items[0][2], ROOT)}` |"
            )
            # The first seed that finished: a diverged run exported nothing.
            first, _, directory = next((item for item in items if not diverged(item[0])), items[0])
            for key in ("tflite_float32", "tflite_int8"):
                if key in first:
                    sizes.append(
                        f"| {method} | {key[len('tflite_'):]} | {first[key]['size_bytes']:,} | "
                        f"{100 * first[key]['test_accuracy']:.2f} | `{from_root(directory, ROOT)}` |"
                    )
        text += "\n".join(lines) + "\n"
        # results/README.md's section for the pair: targets, paired differences, notes, plots.
        report = os.path.relpath(os.path.join(FLAGS.results_dir, "README.md"), os.path.join(FLAGS.recipes_dir, name))
        text += f"\nTimes, targets, paired differences and notes: [{section_title(dataset, name)}]({report}#{section_anchor(dataset, name)}).\n"
        if sizes:
            text += (
                "\nExported light net (TFLite, first seed; test accuracy % through the LiteRT interpreter on the whole test set):\n\n"
                "| trained by | TFLite | bytes | test accuracy | run |\n| --- | --- | --- | --- | --- |\n" + "\n".join(sizes) + "\n"
            )
        text += "\n"
    return text


def presets_section(name):
    """The presets of pair ``name`` (rocket_keras.zoo.presets): their weights, hashes and the accuracy they reproduce."""
    from rocket_keras.zoo import list_presets, load_preset_config

    rows = []
    for preset in list_presets():
        config = load_preset_config(preset)
        if config["architecture"] != name:
            continue
        weights, result = config["weights"], config["result"]
        files = "; ".join(f"`{entry['file']}` ({entry['size_bytes']:,} bytes, sha256 `{entry['sha256'][:16]}…`)"
                          for entry in weights.values())
        accuracy = (f"light {100 * result['light_test_accuracy']:.2f} % (int8 TFLite "
                    f"{100 * result['light_int8_test_accuracy']:.2f} %), booster head "
                    f"{100 * result['booster_test_accuracy']:.2f} %, on all {result['dataset']} test images")
        rows.append(f"- `{preset}`: `rocket_keras.zoo.from_preset(\"{preset}\")`. Files: {files}. Reproduces: "
                    f"{accuracy}. Trained by `{config['command']}`.")
    if not rows:
        return "None shipped yet.\n"
    return "Trained weights shipped with the package, checked by hash when loaded:\n\n" + "\n".join(rows) + "\n"


def card(entry, runs):
    from rocket_keras.profiling import count_flops

    model = entry.builder(**entry.kwargs, name=entry.name)
    light, booster = model.light_model(), model.booster_model()
    arguments = ", ".join(f"{k}={v!r}" for k, v in entry.kwargs.items())
    recipes = sorted(glob.glob(os.path.join(FLAGS.recipes_dir, entry.name, "*.txt")))
    recipe_lines = "\n\n".join(
        f"- [`{os.path.basename(path)}`]({os.path.basename(path)}): "
        f"`python examples/train.py --flagfile={from_root(path, ROOT)} --output_dir=runs/{entry.name}` "
        f"(rocket training; `--method=` for the others)\n\n```\n{pathlib.Path(path).read_text().strip()}\n```"
        for path in recipes
    ) or "None committed yet."
    return f"""# {entry.name}

{entry.description}

Built by `rocket_keras.zoo.get_model("{entry.name}")`, that is
`{entry.builder.__name__}({arguments})`; input shape and classes are
arguments (`input_shape=(28, 28, 1)` for Fashion-MNIST). The figures below
are for the default 32x32x3 inputs and 10 classes.

| | parameters | FLOPs per image (multiply-add = 2) |
| --- | --- | --- |
| light net (ships) | {light.count_params():,} | {count_flops(light) / 1e6:.1f} M |
| booster net | {booster.count_params():,} | {count_flops(booster) / 1e6:.1f} M |
| whole rocket model (training) | {model.count_params():,} | |

Layers named `shared_*` belong to both nets, `light_*` and `booster_*` to one.

## Recipes

One absl flagfile per dataset and budget; each run's `results.json` records all its flags.

{recipe_lines}

## Presets

{presets_section(entry.name)}
## Measured

{measured_section(runs, entry.name)}
Regenerate this card with `python examples/model_cards.py`.
"""


def main(argv):
    del argv
    logging.set_verbosity(logging.WARNING)
    from rocket_keras.zoo import get_entry, list_models

    registered = list_models()
    unknown = sorted(set(FLAGS.pairs or ()) - set(registered))
    if unknown:
        raise app.UsageError(f"--pairs names no registered pair: {unknown}. Registered: {registered}")
    stale = []
    for name in FLAGS.pairs or registered:
        path = os.path.join(FLAGS.recipes_dir, name, "README.md")
        if not write_or_check(path, card(get_entry(name), collect(name)), FLAGS.check):
            stale.append(path)
        elif not FLAGS.check:
            print("wrote", path)
    if stale:
        raise SystemExit(f"stale model cards: {', '.join(stale)}: run `python examples/model_cards.py` and commit "
                         "what it writes.")
    if FLAGS.check:
        print("every model card is up to date")


if __name__ == "__main__":
    app.run(main)
