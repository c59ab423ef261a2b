"""examples/model_cards.py on a small made-up result tree."""

import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


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
    subprocess.run(
        [sys.executable, "model_cards.py", f"--recipes_dir={recipes}", f"--results_dir={results}"],
        check=True, capture_output=True, cwd=ROOT / "examples",
    )
    card = (recipes / "resnet20-resnet8" / "README.md").read_text()
    # The exact recipe, as the file has it.
    assert "```\n# the recipe\n--epochs=15\n--l2=5e-4\n```" in card
    # Mean time over seeds, each charged its teacher: (300 + 500) / 2.
    assert "| kd:alpha=0.9 | 0,1 | 77.00 ± 0.00 | - | 400 | 15 | 45000 |" in card
    assert "[cifar10 / resnet20-resnet8](../../results/README.md#cifar10--resnet20-resnet8)" in card
    # A pair with no runs says so.
    assert "No run of this configuration is committed yet" in (recipes / "wrn40_1-wrn16_1" / "README.md").read_text()
