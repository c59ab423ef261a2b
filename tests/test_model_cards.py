"""examples/model_cards.py on a small made-up result tree."""

import json
import pathlib
import subprocess
import sys

import pytest
from absl import app
from conftest import run_example

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run_model_cards(*argv):
    """model_cards.py's main in this process, run from examples/ as below (``conftest.run_example``)."""
    run_example("model_cards", *argv, cwd=ROOT / "examples")


def test_card_embeds_the_recipe_and_shows_times_and_the_report_link(tmp_path):
    recipes, results = tmp_path / "recipes", tmp_path / "results"
    (recipes / "resnet20-resnet8").mkdir(parents=True)
    (recipes / "resnet20-resnet8" / "cifar10_paper.txt").write_text("# the recipe\n--epochs=15\n--l2=5e-4\n")
    for seed, (seconds, teacher) in enumerate([(100.0, 200.0), (300.0, 200.0)]):
        run = results / "cifar10" / "resnet20-resnet8" / f"kd_alpha=0.9-seed{seed}"
        run.mkdir(parents=True)
        (run / "results.json").write_text(json.dumps({
            "method": "kd:alpha=0.9", "seed": seed, "epochs": 15, "train_size": 45000, "train_seconds": seconds,
            "teacher_train_seconds": teacher, "light_test_accuracy": 0.77, "command": "examples/train.py --seed=0",
        }))
    run_model_cards(f"--recipes_dir={recipes}", f"--results_dir={results}", "--pairs=resnet20-resnet8,wrn40_1-wrn16_1")
    card = (recipes / "resnet20-resnet8" / "README.md").read_text()
    # The exact recipe, as the file has it.
    assert "```\n# the recipe\n--epochs=15\n--l2=5e-4\n```" in card
    # Mean time over seeds, each charged its teacher: (300 + 500) / 2.
    assert "| kd:alpha=0.9 | 0,1 | 77.00 ± 0.00 | - | 400 | 15 | 45000 |" in card
    assert "[cifar10 / resnet20-resnet8](../../results/README.md#cifar10--resnet20-resnet8)" in card
    # A pair with no runs says so.
    assert "No run of this configuration is committed yet" in (recipes / "wrn40_1-wrn16_1" / "README.md").read_text()


def test_check_writes_nothing_and_names_a_card_whose_result_changed(tmp_path):
    recipes, results = tmp_path / "recipes", tmp_path / "results"
    run = results / "cifar10" / "resnet20-resnet8" / "light-seed0"
    run.mkdir(parents=True)
    result = {"method": "light", "seed": 0, "epochs": 15, "train_size": 45000, "train_seconds": 100.0,
              "light_test_accuracy": 0.77, "command": "examples/train.py --seed=0"}
    (run / "results.json").write_text(json.dumps(result))
    flags = [f"--recipes_dir={recipes}", f"--results_dir={results}", "--pairs=resnet20-resnet8"]
    run_model_cards(*flags)
    run_model_cards(*flags, "--check")  # up to date: no SystemExit

    card = recipes / "resnet20-resnet8" / "README.md"
    before = card.read_text()
    (run / "results.json").write_text(json.dumps({**result, "light_test_accuracy": 0.78}))
    # The command line: its exit code and message.
    check = [sys.executable, "model_cards.py", *flags, "--check"]
    stale = subprocess.run(check, capture_output=True, text=True, cwd=ROOT / "examples")
    assert stale.returncode == 1
    assert str(card) in stale.stderr and "run `python examples/model_cards.py`" in stale.stderr
    assert card.read_text() == before  # --check wrote nothing


def test_pairs_names_what_it_does_not_know():
    with pytest.raises(app.UsageError, match="resnet99.*resnet20-resnet8"):
        run_model_cards("--pairs=resnet99", "--check")


def test_the_committed_cards_are_what_the_committed_results_give():
    run_example("model_cards", "--check", cwd=ROOT)
