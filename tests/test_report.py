"""examples/report.py on a small made-up result tree."""

import json
import pathlib
import subprocess
import sys

import pytest
from conftest import example_module, run_example

ROOT = pathlib.Path(__file__).resolve().parents[1]


def write_run(pair, method, seed, light, seconds, command="examples/train.py ...", **extra):
    run = pair / f"{method}-seed{seed}"
    run.mkdir(parents=True)
    # train.py records the method spec; the directory holds its slug.
    result = {"method": method.replace("_", ":", 1), "seed": seed, "epochs": 2, "train_seconds": seconds, "command": command,
              **extra}
    if light is None:  # diverged: train.py records the error and no accuracy
        result["training_error"] = "Training stopped at batch 3: non-finite loss terms hint_loss=nan."
    else:
        result["light_test_accuracy"] = light
    (run / "results.json").write_text(json.dumps(result))
    (run / "history.csv").write_text("epoch,val_accuracy\n0,0.5\n1,0.6\n")


def run_report(tmp_path):
    """Runs report.py's main on ``tmp_path/results`` and returns the README it writes.

    In this process (``conftest.run_example``): a subprocess would spend
    about 5 s importing TensorFlow for each of these small trees. The command
    line itself (exit codes, --check) runs in a subprocess below."""
    run_example("report", f"--results_dir={tmp_path / 'results'}")
    return (tmp_path / "results" / "README.md").read_text()


def test_report_writes_the_table_targets_and_notes_with_working_links(tmp_path):
    pair = tmp_path / "results" / "fashion_mnist" / "pair"
    for seed, (light, rocket) in enumerate([(0.80, 0.82), (0.82, 0.84)]):
        write_run(pair, "light", seed, light, 100.0)
        write_run(pair, "rocket", seed, rocket, 150.0)
    (tmp_path / "zoo").mkdir()
    (tmp_path / "zoo" / "flags.txt").write_text("--epochs=2\n")
    # Links in NOTES.md are relative to the NOTES file itself.
    (pair / "NOTES.md").write_text(
        "Recipe: [flags](../../../zoo/flags.txt); history: [h](rocket-seed0/history.csv); "
        "paper: [p](https://arxiv.org/abs/1708.04106)."
    )
    readme = run_report(tmp_path)
    assert "| light | 0,1 | 81.00 ± 1.41 |" in readme
    assert "| rocket | 0,1 | 83.00 ± 1.41 |" in readme
    assert "rocket light net more accurate than light: **met** (83.00 vs 81.00" in readme
    # The links now point from results/, where README.md is, to the same files.
    assert "[flags](../zoo/flags.txt)" in readme
    assert "[h](fashion_mnist/pair/rocket-seed0/history.csv)" in readme
    assert "[p](https://arxiv.org/abs/1708.04106)" in readme
    assert (pair / "accuracy.png").stat().st_size > 0


def test_the_papers_cifar10_column_shows_only_beside_cifar10_runs_of_its_methods(tmp_path):
    results = tmp_path / "results"
    for dataset, pair in [("cifar10", "pair"), ("cifar10", "pair.grid"), ("fashion_mnist", "pair")]:
        write_run(results / dataset / pair, "light" if pair == "pair" else "rocket_hint=kd", 0, 0.80, 100.0)
    readme = run_report(tmp_path)
    sections = {s.split("\n", 1)[0]: s for s in readme.split("## ")[1:]}
    # The paper's light net (WRN-16-1): 100 - 8.77 % error.
    assert "| light | 0 | 80.00 | - | 100 | 2 | 91.23 |" in sections["cifar10 / pair"]
    assert "paper CIFAR-10" not in sections["cifar10 / pair.grid"]  # no method the paper ran
    assert "| rocket:hint=kd | 0 | 80.00 | - | 100 | 2 |\n" in sections["cifar10 / pair.grid"]
    assert "paper CIFAR-10" not in sections["fashion_mnist / pair"]
    assert "| light | 0 | 80.00 | - | 100 | 2 |\n" in sections["fashion_mnist / pair"]


def test_diverged_runs_are_shown_not_averaged(tmp_path):
    pair = tmp_path / "results" / "fashion_mnist" / "pair"
    write_run(pair, "light", 0, 0.80, 100.0)
    write_run(pair, "rocket", 0, None, 20.0)
    write_run(pair, "rocket_hint_weight=0.01", 0, 0.83, 150.0)
    write_run(pair, "rocket_hint_weight=0.01", 1, None, 30.0)
    readme = run_report(tmp_path)
    assert "| rocket | 0 (diverged) | diverged | diverged | - |" in readme
    # The finished seed alone gives the accuracy and the time.
    assert "| rocket:hint_weight=0.01 | 0,1 (diverged) | 83.00 | - | 150 |" in readme
    assert "rocket:hint_weight=0.01 light net more accurate than light: **met** (83.00 vs 80.00, n=1" in readme


def test_a_head_the_method_does_not_train_is_a_dash_not_diverged(tmp_path):
    pair = tmp_path / "results" / "fashion_mnist" / "pair"
    write_run(pair, "light", 0, None, 20.0)  # diverged; a light-only method has no booster
    write_run(pair, "rocket", 0, 0.83, 150.0)
    readme = run_report(tmp_path)
    assert "| light | 0 (diverged) | diverged | - |" in readme


def test_study_targets_gap_closure_margin_booster_head_and_rocket_kd(tmp_path):
    pair = tmp_path / "results" / "cifar10" / "resnet20-resnet8"
    for seed, (light, booster, rocket, rocket_kd) in enumerate([(0.78, 0.83, 0.81, 0.82), (0.78, 0.83, 0.81, 0.80)]):
        write_run(pair, "light", seed, light, 100.0)
        write_run(pair, "booster", seed, None, 200.0)
        # A booster run: its accuracy is the booster's (write_run writes a light one).
        result = json.loads((pair / f"booster-seed{seed}" / "results.json").read_text())
        result.pop("training_error")
        result["booster_test_accuracy"] = booster
        (pair / f"booster-seed{seed}" / "results.json").write_text(json.dumps(result))
        write_run(pair, "rocket", seed, rocket, 300.0)
        rocket_file = pair / f"rocket-seed{seed}" / "results.json"
        rocket_file.write_text(json.dumps({**json.loads(rocket_file.read_text()), "booster_test_accuracy": 0.828}))
        write_run(pair, "rocket_teacher_alpha=0.9", seed, rocket_kd, 300.0)
    write_run(tmp_path / "results" / "fashion_mnist" / "pair", "light", 0, 0.8, 10.0)
    readme = run_report(tmp_path)
    # The study's section comes first, before the 3-epoch smoke runs.
    assert readme.index("## cifar10 / resnet20-resnet8") < readme.index("## fashion_mnist / pair")
    # (81 - 78) / (83 - 78) = 60 %; the spread is 0, so any margin beats 2 std.
    # Seed by seed too: (81 - 78) / (83 - 78) on both seeds.
    assert ("- rocket gap closure (rocket - light) / (booster - light) of at least 40 %: **met** "
            "(60 %; seed by seed: 60, 60 %)") in readme
    assert "- rocket light net above light alone by more than 2 standard deviations of either: **met** (+3.00" in readme
    assert "- rocket booster head within 0.5 points of the booster alone: **met** (82.80 vs 83.00)" in readme
    assert "- rocket + KD from the frozen booster above rocket: **missed** (81.00 vs 81.00)" in readme


def test_time_target_charges_each_two_stage_method_its_teacher(tmp_path):
    pair = tmp_path / "results" / "cifar10" / "resnet20-resnet8"
    write_run(pair, "light", 0, 0.78, 100.0)
    write_run(pair, "kd_alpha=0.9", 0, 0.77, 100.0, teacher_train_seconds=200.0)
    write_run(pair, "rocket", 0, 0.79, 250.0)
    # Its own 150 s are below KD's 300 s, but it needs the booster (200 s) first.
    write_run(pair, "rocket_teacher_alpha=0.9", 0, 0.80, 150.0, teacher_train_seconds=200.0)
    readme = run_report(tmp_path)
    assert "- rocket training time below booster + KD student (teachers included): **met** (250 s vs 300 s)" in readme
    assert ("- rocket:teacher_alpha=0.9 training time below booster + KD student (teachers included): **missed** "
            "(350 s vs 300 s)") in readme


def test_differences_are_paired_by_seed(tmp_path):
    pair = tmp_path / "results" / "cifar10" / "resnet20-resnet8"
    # Seed 1 is harder for both: unpaired, the spreads (1.41) hide a steady +1-point lead.
    for seed, (light, rocket) in enumerate([(0.78, 0.79), (0.76, 0.77), (0.79, 0.80)]):
        write_run(pair, "light", seed, light, 100.0)
        write_run(pair, "rocket", seed, rocket, 150.0)
    write_run(pair, "kd_alpha=0.9", 0, 0.77, 100.0)  # one seed: nothing to pair
    readme = run_report(tmp_path)
    assert ("- rocket − light, light net: +1.00 ± 0.00 points, 95 % interval [+1.00, +1.00] "
            "(seeds 0,1,2: +1.00, +1.00, +1.00)") in readme
    assert "kd:alpha=0.9 − light" not in readme


def test_paired_interval_is_the_t_interval_of_the_differences(tmp_path):
    pair = tmp_path / "results" / "cifar10" / "resnet20-resnet8"
    for seed, (light, rocket) in enumerate([(0.78, 0.79), (0.78, 0.80)]):
        write_run(pair, "light", seed, light, 100.0)
        write_run(pair, "rocket", seed, rocket, 150.0)
    readme = run_report(tmp_path)
    # Differences 1 and 2: mean 1.5, std 0.71, t(0.975, 1) = 12.71, half width 12.71 * 0.71 / sqrt(2) = 6.35.
    assert "- rocket − light, light net: +1.50 ± 0.71 points, 95 % interval [-4.85, +7.85]" in readme


def test_each_run_shows_the_highest_load_it_recorded(tmp_path):
    pair = tmp_path / "results" / "cifar10" / "pair"
    epochs = [{"seconds": 250.4, "load_average": 2.07}, {"seconds": 262.0, "load_average": 3.91}]
    write_run(pair, "rocket", 0, 0.80, 512.4, epoch_times=epochs, cpu_count=2)
    write_run(pair, "light", 0, 0.78, 100.0)  # from before train.py recorded the load: no line
    readme = run_report(tmp_path)
    assert "- rocket, seed 0: 3.9 on 2 cores (2 epochs of 250-262 s)" in readme
    assert "- light, seed 0:" not in readme


def test_a_grid_on_seed_0_is_ranked_by_validation_accuracy_not_test(tmp_path):
    pair = tmp_path / "results" / "cifar10" / "pair"
    # The best on validation is the worst on test: the report ranks by validation.
    for spec, validation, test in [("kd_alpha=0.9", 0.70, 0.79), ("kd_student_loss_weight=0.5", 0.75, 0.77),
                                   ("kd_student_loss_weight=0.1", 0.72, 0.78)]:
        write_run(pair, spec, 0, test, 100.0)
        (pair / f"{spec}-seed0" / "history.csv").write_text(f"epoch,val_accuracy\n0,0.5\n1,{validation}\n")
    write_run(pair, "light", 0, 0.76, 100.0)  # one setting: no ranking
    readme = run_report(tmp_path)
    assert ("- kd: `kd:student_loss_weight=0.5` 75.00, `kd:student_loss_weight=0.1` 72.00, `kd:alpha=0.9` 70.00 "
            "(highest: `kd:student_loss_weight=0.5`)") in readme
    assert "- light:" not in readme.split("what a setting is chosen on")[1].split("\n\n")[1]


def test_a_tagged_study_is_paired_with_its_base_study_when_the_recipe_is_the_same(tmp_path):
    cifar = tmp_path / "results" / "cifar10"
    paper = "examples/train.py --flagfile=recipes/pair/paper.txt"
    for seed, (light, rocket, kd) in enumerate([(0.77, 0.79, 0.785), (0.78, 0.795, 0.79)]):
        write_run(cifar / "pair", "light", seed, light, 100.0, command=paper)
        write_run(cifar / "pair", "rocket", seed, rocket, 100.0, command=paper)
        write_run(cifar / "pair.grid", "kd_student_loss_weight=0.1", seed, kd, 100.0, command=paper)
    write_run(cifar / "pair.grid", "kd_student_loss_weight=0.5", 0, 0.78, 100.0, command=paper)  # one seed: none
    # Another recipe is another experiment: never paired with the base study.
    write_run(cifar / "pair.strong", "light", 0, 0.85, 100.0, command="examples/train.py --flagfile=strong.txt")
    write_run(cifar / "pair.strong", "light", 1, 0.86, 100.0, command="examples/train.py --flagfile=strong.txt")
    readme = run_report(tmp_path)
    grid = readme.split("## cifar10 / pair.grid")[1].split("## ")[0]
    # rocket − KD: +0.50, +0.50 points; KD − light: +1.50, +1.00 points.
    assert ("- rocket − kd:student_loss_weight=0.1, light net: +0.50 ± 0.00 points, 95 % interval [+0.50, +0.50] "
            "(seeds 0,1: +0.50, +0.50)") in grid
    assert "- kd:student_loss_weight=0.1 − light, light net: +1.25 ± 0.35 points" in grid
    assert "kd:student_loss_weight=0.5 −" not in grid and "− kd:student_loss_weight=0.5" not in grid
    assert "Against the" not in readme.split("## cifar10 / pair.strong")[1]


def test_a_tagged_grid_is_ranked_with_its_base_studys_default_settings(tmp_path):
    cifar = tmp_path / "results" / "cifar10"
    paper = "examples/train.py --flagfile=recipes/pair/paper.txt"

    def run(study, spec, validation, command=paper):
        write_run(cifar / study, spec, 0, 0.5, 100.0, command=command)
        (cifar / study / f"{spec}-seed0" / "history.csv").write_text(f"epoch,val_accuracy\n0,0.4\n1,{validation}\n")

    run("pair", "rocket", 0.79)
    run("pair", "booster", 0.83)
    run("pair.hints", "rocket_hint_weight=0.1", 0.77)
    run("pair.hints", "rocket_hint_weight=0.3", 0.74)
    run("pair.hints", "booster", 0.82)  # the study ran the default itself: no reference from the base
    run("pair.strong", "rocket_hint_weight=0.1", 0.88, command="examples/train.py --flagfile=strong.txt")
    run("pair.strong", "rocket_hint_weight=0.3", 0.87, command="examples/train.py --flagfile=strong.txt")
    # The same file with other training flags (5 of its 15 epochs) is another recipe too; paths and
    # seeds are not.
    short = "examples/train.py --flagfile=recipes/pair/paper.txt --method={} --epochs=5 --seed=0 --output_dir=x"
    run("pair.short", "rocket_hint_weight=0.1", 0.60, command=short.format("rocket:hint_weight=0.1"))
    run("pair.short", "rocket_hint_weight=0.3", 0.65, command=short.format("rocket:hint_weight=0.3"))
    run("pair.paths", "rocket_hint_weight=0.1", 0.80, command=paper + " --seed=0 --output_dir=x --verbose=2 --noexport")
    run("pair.paths", "rocket_hint_weight=0.3", 0.70, command=paper + " --seed=0 --output_dir=y")
    readme = run_report(tmp_path)
    assert ("- rocket: `rocket:hint_weight=0.3` 65.00, `rocket:hint_weight=0.1` 60.00 (highest: `rocket:hint_weight=0.3`)"
            in readme.split("## cifar10 / pair.short")[1])
    assert ("- rocket: `rocket:hint_weight=0.1` 80.00, `rocket` in pair 79.00, `rocket:hint_weight=0.3` 70.00 "
            "(highest: `rocket:hint_weight=0.1`)") in readme.split("## cifar10 / pair.paths")[1]
    hints = readme.split("## cifar10 / pair.hints")[1].split("## ")[0]
    assert ("- rocket: `rocket` in pair 79.00, `rocket:hint_weight=0.1` 77.00, `rocket:hint_weight=0.3` 74.00 "
            "(highest: `rocket` in pair)") in hints
    assert "- booster:" not in hints
    # Another recipe is another experiment: ranked without the base study's run.
    assert ("- rocket: `rocket:hint_weight=0.1` 88.00, `rocket:hint_weight=0.3` 87.00 (highest: `rocket:hint_weight=0.1`)"
            in readme.split("## cifar10 / pair.strong")[1])


def test_a_study_of_the_first_epochs_lists_the_same_epochs_of_its_longer_base_study(tmp_path):
    # A pair whose name holds dots, as MobileNet's does: its base study is the longest such prefix.
    cifar = tmp_path / "results" / "cifar10"
    recipe = "examples/train.py --flagfile=recipes/p/paper.txt --method={} --seed=0 --output_dir=x"

    def run(study, spec, epochs, decay_at, columns, rows, command=recipe):
        write_run(cifar / study, spec, 0, 0.5, 100.0, epochs=epochs, flags={"lr_decay_at": decay_at},
                  command=command.format(spec.replace("_", ":", 1))
                  + (f" --epochs={epochs} --lr_decay_at={','.join(decay_at)}" if epochs == 2 else ""))
        (cifar / study / f"{spec}-seed0" / "history.csv").write_text(
            columns + "\n" + "\n".join(f"{i},{row}" for i, row in enumerate(rows)) + "\n")

    pair = "net1.0-net0.5"
    # The longer study: 6 epochs dropping at 0.3 (epoch 1.8) and 0.6; the short one 2 epochs dropping at
    # 0.9 (epoch 1.8): the same schedule for its 2 epochs.
    run(pair, "light", 6, ["0.3", "0.6"], "epoch,val_accuracy", ["0.40", "0.50", "0.55", "0.6", "0.6", "0.6"])
    run(pair, "booster", 6, ["0.3", "0.6"], "epoch,val_accuracy", ["0.50", "0.70", "0.75", "0.8", "0.8", "0.8"])
    run(pair, "rocket", 6, ["0.3", "0.6"], "epoch,val_light_accuracy,val_booster_accuracy",
        ["0.30,0.45", "0.42,0.65", "0.5,0.7", "0.5,0.7", "0.5,0.7", "0.5,0.7"])
    run(f"{pair}.first", "rocket_hint_weight=0.1", 2, ["0.9"], "epoch,val_light_accuracy,val_booster_accuracy",
        ["0.35,0.47", "0.48,0.66"])
    # Rate drops elsewhere (epoch 1.0 of 2): another schedule, so no epochs are set beside the base's.
    run(f"{pair}.moved", "rocket_hint_weight=0.1", 2, ["0.5"], "epoch,val_light_accuracy", ["0.35", "0.48"])
    readme = run_report(tmp_path)
    first = readme.split(f"## cifar10 / {pair}.first")[1].split("## ")[0]
    assert (f"Validation accuracy % after epochs 1-2, beside the same epochs of the `{pair}` study's runs on the "
            "same seeds (one recipe and the same rate drops up to epoch 2):\n\n"
            "- `rocket:hint_weight=0.1`, seed 0: light net 35.00, 48.00; booster head 66.00 after epoch 2\n"
            "- `booster` (longer study), seed 0: booster 70.00 after epoch 2\n"
            "- `light` (longer study), seed 0: light net 40.00, 50.00\n"
            "- `rocket` (longer study), seed 0: light net 30.00, 42.00; booster head 65.00 after epoch 2\n") in first
    assert "after epochs 1-2" not in readme.split(f"## cifar10 / {pair}.moved")[1]
    assert "after epochs 1-" not in readme.split(f"## cifar10 / {pair}\n")[1].split("## ")[0]


def test_the_largest_fall_between_epochs_flags_a_collapse(tmp_path):
    pair = tmp_path / "results" / "cifar10" / "pair"
    write_run(pair, "rocket_hint_weight=0.1", 0, 0.30, 100.0)
    (pair / "rocket_hint_weight=0.1-seed0" / "history.csv").write_text(
        "epoch,val_light_accuracy\n0,0.60\n1,0.72\n2,0.35\n3,0.40\n")
    write_run(pair, "rocket", 0, 0.80, 100.0)
    (pair / "rocket-seed0" / "history.csv").write_text("epoch,val_light_accuracy\n0,0.60\n1,0.58\n2,0.70\n")
    readme = run_report(tmp_path)
    # 72 -> 35 %: a fall of 37 points; the other run fell 2 points once.
    assert ("Largest fall of the light net's validation accuracy between two epochs: 37.00 points "
            "(rocket:hint_weight=0.1, seed 0); runs over 10 points: rocket:hint_weight=0.1 seed 0 (37.0).") in readme


def test_a_run_that_timed_its_steps_shows_its_epochs_overhead(tmp_path):
    pair = tmp_path / "results" / "cifar10" / "pair"
    epochs = [{"seconds": 110.0, "load_average": 2.0, "steps": 352, "median_step_seconds": 0.3,
               "validation_seconds": 4.0},
              {"seconds": 105.6, "load_average": 2.1, "steps": 352, "median_step_seconds": 0.3,
               "validation_seconds": 4.0}]
    write_run(pair, "rocket", 0, 0.80, 215.6, epoch_times=epochs, cpu_count=2)
    readme = run_report(tmp_path)
    # 110 / (352 x 0.3) = 1.04; 105.6 / 105.6 = 1.00
    assert "(2 epochs of 106-110 s; epoch / (steps x median step) 1.00-1.04)" in readme


def test_a_history_that_lost_rows_thins_the_curve_instead_of_cutting_it():
    per_epoch = example_module("report").per_epoch
    epochs, values = per_epoch([[0.5, 0.6, 0.7], [0.4, 0.5]])
    assert list(epochs) == [1, 2, 3]
    assert values == [[0.5, 0.4], [0.6, 0.5], [0.7]]


def test_best_on_validation_chooses_by_the_last_epochs_validation_accuracy_and_names_a_missing_run(tmp_path):
    from rocket_keras.training.results import best_on_validation

    pair = tmp_path / "results" / "cifar10" / "pair"
    # The best on validation is the worst on test; a second seed does not count.
    for spec, seed, validation, test in [("kd_student_loss_weight=0.1", 0, 0.75, 0.70),
                                         ("kd_student_loss_weight=0.5", 0, 0.72, 0.80),
                                         ("kd_student_loss_weight=0.5", 1, 0.90, 0.90)]:
        write_run(pair, spec, seed, test, 100.0)
        (pair / f"{spec}-seed{seed}" / "history.csv").write_text(f"epoch,val_accuracy\n0,0.99\n1,{validation}\n")
    specs = ["kd:student_loss_weight=0.5", "kd:student_loss_weight=0.1"]
    assert best_on_validation(pair, specs) == "kd:student_loss_weight=0.1"
    with pytest.raises(ValueError, match="No finished run of 'kd:student_loss_weight=0.1' on seed 1"):
        best_on_validation(pair, specs, seed=1)
    with pytest.raises(ValueError, match="'kd:alpha=0.9'"):
        best_on_validation(pair, ["kd:alpha=0.9"])
    # The final net's validation accuracy in the record wins over the history's last row (under --ema
    # the history holds the raw weights', the record the averaged net's).
    write_run(pair, "kd_student_loss_weight=0.3", 0, 0.70, 100.0, light_validation_accuracy=0.76)
    assert best_on_validation(pair, [*specs, "kd:student_loss_weight=0.3"]) == "kd:student_loss_weight=0.3"
    # A diverged setting ranks last (its record has no accuracy; its history may have rows).
    write_run(pair, "kd_student_loss_weight=0.9", 0, None, 100.0)
    assert best_on_validation(pair, [*specs, "kd:student_loss_weight=0.9"]) == "kd:student_loss_weight=0.1"
    with pytest.raises(ValueError, match=r"Every run on seed 0 .* diverged.*\['kd:student_loss_weight=0.9'\]"):
        best_on_validation(pair, ["kd:student_loss_weight=0.9"])


def test_check_writes_nothing_and_fails_when_the_notes_changed_after_the_report(tmp_path):
    pair = tmp_path / "results" / "fashion_mnist" / "pair"
    write_run(pair, "light", 0, 0.80, 100.0)
    (pair / "NOTES.md").write_text("First notes.")
    readme = run_report(tmp_path)
    check = [sys.executable, str(ROOT / "examples" / "report.py"), f"--results_dir={tmp_path / 'results'}", "--check"]
    assert subprocess.run(check, capture_output=True, cwd=ROOT / "examples").returncode == 0
    (pair / "NOTES.md").write_text("Notes edited after the report.")
    stale = subprocess.run(check, capture_output=True, text=True, cwd=ROOT / "examples")
    assert stale.returncode == 1
    assert "README.md is stale" in stale.stderr
    assert (tmp_path / "results" / "README.md").read_text() == readme  # untouched


def test_the_committed_report_is_what_the_committed_results_and_notes_give():
    run_example("report", "--check", cwd=ROOT)


def test_write_or_check_writes_only_without_check_and_says_whether_the_file_holds_the_text(tmp_path):
    from rocket_keras.training.results import write_or_check

    path = tmp_path / "cards" / "README.md"
    assert not write_or_check(str(path), "table", check=True) and not path.exists()  # missing: stale
    assert write_or_check(str(path), "table") and path.read_text() == "table"  # writes, making the folder
    assert write_or_check(str(path), "table", check=True)
    assert not write_or_check(str(path), "new table", check=True) and path.read_text() == "table"
