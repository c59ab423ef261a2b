"""Numbers in prose come from the data: every accuracy the READMEs and notes
state ("84.70 %", "85.06 ± 0.40") is a value in a committed result file
(results.json, export-*.json, history.csv, a shipped preset's preset.json), a mean ± std over the seeds of a
committed method, or one of the paper's figures the report cites; and every 95 % interval of a paired
difference ("[+0.34, +1.14]") is the one examples/report.py computes for two committed methods of a study
(or of a tagged study and its base study) paired by seed."""

import collections
import csv
import glob
import json
import re
import statistics
from pathlib import Path

from conftest import example_module

ROOT = Path(__file__).resolve().parents[1]


def percent(value):
    return f"{100 * value:.2f}"


def measured_values():
    """Every accuracy (0-1) of the result files, as "NN.NN": the values under a key that names an
    accuracy ("acc" in it), in the JSON files and the histories' columns. Not losses, rates or weights: as
    result files pile up, those would make nearly every "NN.NN" a measured value."""
    values = set()

    def walk(item, accuracy=False):  # accuracy: a key on the way here names one
        if isinstance(item, dict):
            for k, v in item.items():
                walk(v, accuracy or "acc" in str(k))
        elif isinstance(item, list):
            for v in item:
                walk(v, accuracy)
        elif accuracy and isinstance(item, float) and 0.0 <= item <= 1.0:
            values.add(percent(item))

    # The shipped presets' preset.json: the accuracies examples/make_preset.py measured from their files.
    for path in glob.glob(str(ROOT / "results" / "**" / "*.json"), recursive=True) + glob.glob(
            str(ROOT / "rocket_keras" / "zoo" / "shipped" / "*" / "preset.json")):
        walk(json.loads(Path(path).read_text()))
    for path in glob.glob(str(ROOT / "results" / "**" / "history.csv"), recursive=True):
        for row in csv.DictReader(open(path)):
            walk({column: number(value) for column, value in row.items()})  # the same rule as the JSON's
    return values


def number(text):
    """A history cell as a float, or None where it holds none."""
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def method_runs():
    """``{study directory: {method: {head: {seed: test accuracy}}}}`` over the committed runs (any
    ``<name>-seed<k>`` directory: pruning variants too, which are not method specs)."""
    studies = collections.defaultdict(lambda: collections.defaultdict(lambda: collections.defaultdict(dict)))
    for path in glob.glob(str(ROOT / "results" / "**" / "*-seed*" / "results.json"), recursive=True):
        run = Path(path).parent
        method, seed = run.name.rsplit("-seed", 1)
        result = json.loads(Path(path).read_text())
        for head in ("light", "booster"):
            if f"{head}_test_accuracy" in result:
                studies[run.parent][method][head][seed] = result[f"{head}_test_accuracy"]
    return studies


def seed_means():
    """"mean ± std" of each head's test accuracy over the seeds of every method directory."""
    means = set()
    for methods in method_runs().values():
        for heads in methods.values():
            for by_seed in heads.values():
                values = [by_seed[seed] for seed in sorted(by_seed)]
                if len(values) > 1:
                    means.add(f"{percent(statistics.mean(values))} ± {percent(statistics.stdev(values))}")
                    means.add(percent(statistics.mean(values)))  # a mean stated without its spread
    return means


def paired_intervals():
    """The 95 % interval ``examples/report.py``'s ``paired_line`` gives every two methods of a study,
    or of a tagged study ``<pair>.<tag>`` and its base study, on one head paired by seed."""
    paired_line = example_module("report").paired_line
    studies = method_runs()
    intervals = set()
    for study, methods in studies.items():
        base = study.parent / study.name.split(".", 1)[0]
        others = {**studies.get(base, {}), **methods} if base != study else methods
        for method, heads in methods.items():
            for other, other_heads in others.items():
                for head in set(heads) & set(other_heads):
                    for ours, theirs in ((heads[head], other_heads[head]), (other_heads[head], heads[head])):
                        line = paired_line("", ours, theirs)
                        if line:
                            intervals.add(re.search(r"interval (\[.*?\])", line).group(1))
    return intervals


def paper_figures():
    errors = example_module("report").PAPER_CIFAR10_ERROR.values()
    return {f"{e:.2f}" for e in errors} | {f"{100 - e:.2f}" for e in errors}


def prose():
    """The hand-written texts that state measured numbers."""
    readme = (ROOT / "README.md").read_text()
    texts = {"README.md": readme[readme.index("## Measured results"):readme.index("## Baselines and comparisons")]}
    # The sections with measured numbers outside "Measured results".
    for title in ("## Search", "## Compression"):
        start = readme.index(title)
        texts[f"README.md {title[3:]}"] = readme[start:readme.index("\n## ", start + 1)]
    notes = [
        *glob.glob(str(ROOT / "results" / "**" / "NOTES.md"), recursive=True),
        *glob.glob(str(ROOT / "results" / "sweeps" / "*" / "README.md")),
        *glob.glob(str(ROOT / "results" / "archive" / "*" / "README.md")),
    ]
    for path in notes:
        texts[str(Path(path).relative_to(ROOT))] = Path(path).read_text()
    return texts


def test_every_accuracy_in_prose_is_a_committed_measurement_or_a_cited_figure():
    values, means, paper = measured_values(), seed_means(), paper_figures()
    unsupported = {}
    for name, text in prose().items():
        text = re.sub(r"\s+", " ", text)  # a "±" may wrap onto the next line
        spreads = re.findall(r"\d+\.\d\d ± \d+\.\d\d", text)
        singles = re.findall(r"(\d+\.\d\d) ?%", re.sub(r"\d+\.\d\d ± \d+\.\d\d", "", text))
        missing = [s for s in spreads if s not in means] + [s for s in singles if s not in values | means | paper]
        if missing:
            unsupported[name] = missing
    assert not unsupported, unsupported


def test_every_paired_interval_in_prose_is_one_the_report_computes():
    intervals = paired_intervals()
    unsupported = {}
    for name, text in prose().items():
        missing = [i for i in re.findall(r"\[[+-]\d+\.\d\d, [+-]\d+\.\d\d\]", text) if i not in intervals]
        if missing:
            unsupported[name] = missing
    assert not unsupported, unsupported
    assert "[+0.34, +1.14]" in intervals  # rocket − DML on the study's light nets
    assert "[+0.35, +1.14]" not in intervals


def test_the_check_catches_a_drifted_number():
    values, means = measured_values(), seed_means()
    assert "84.70 ± 0.91" in means  # the light net alone on the Fashion-MNIST smoke runs
    assert "84.71 ± 0.91" not in means and "99.99" not in values
