"""examples/compare.py: which train.py runs it starts (train.py replaced by a recorder)."""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest
from conftest import run_example

ROOT = pathlib.Path(__file__).resolve().parents[1]

FAKE_TRAIN = '''
import json, os, sys
out = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--output_dir=")][0]
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "results.json"), "w").write("{}")
open(os.path.join(out, "model.keras"), "w").write("")
with open("calls.jsonl", "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
'''


def run_compare(tmp_path, *args, train=FAKE_TRAIN):
    """Runs compare.py's main with ``args`` in ``tmp_path``, where ``examples/train.py`` is ``train``;
    returns the train.py calls it made (in this process: the command line is tested below)."""
    (tmp_path / "examples").mkdir(exist_ok=True)
    (tmp_path / "examples" / "train.py").write_text(train)
    run_example("compare", *args, cwd=tmp_path)
    return recorded_calls(tmp_path)


def recorded_calls(tmp_path):
    calls = tmp_path / "calls.jsonl"
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


def methods(calls):
    return [next(a for a in call if a.startswith("--method=")) for call in calls]


def test_a_teacher_without_its_model_file_is_trained_again(tmp_path):
    # As in a fresh clone: git keeps results.json but not model.keras.
    booster = tmp_path / "results" / "fashion_mnist" / "resnet14-resnet8" / "booster-seed0"
    booster.mkdir(parents=True)
    (booster / "results.json").write_text("{}")
    calls = run_compare(tmp_path, "--method=kd", "--seeds=0")
    assert methods(calls) == ["--method=booster", "--method=kd"]
    assert any(a.endswith("booster-seed0/model.keras") for a in calls[1])


def test_a_kept_booster_file_is_the_teacher_and_is_not_trained_again(tmp_path):
    # As in a fresh clone of a run since 2026-12-05: git keeps booster.keras beside results.json.
    booster = tmp_path / "results" / "fashion_mnist" / "resnet14-resnet8" / "booster-seed0"
    booster.mkdir(parents=True)
    (booster / "results.json").write_text("{}")
    (booster / "booster.keras").write_text("")
    calls = run_compare(tmp_path, "--method=kd", "--seeds=0")
    assert methods(calls) == ["--method=kd"]
    assert "--teacher=results/fashion_mnist/resnet14-resnet8/booster-seed0/booster.keras" in calls[0]


def test_finished_runs_are_skipped_and_a_teacher_trains_once(tmp_path):
    first = run_compare(tmp_path, "--method=kd", "--method=mimic", "--method=light", "--seeds=0")
    assert methods(first) == ["--method=booster", "--method=kd", "--method=mimic", "--method=light"]
    (tmp_path / "calls.jsonl").unlink()
    assert run_compare(tmp_path, "--method=kd", "--method=mimic", "--method=light", "--seeds=0") == []


def test_noresume_reruns_everything_once_and_tells_train_py(tmp_path):
    run_compare(tmp_path, "--method=kd", "--method=mimic", "--seeds=0")
    (tmp_path / "calls.jsonl").unlink()
    calls = run_compare(tmp_path, "--method=kd", "--method=mimic", "--seeds=0", "--noresume")
    assert methods(calls) == ["--method=booster", "--method=kd", "--method=mimic"]
    assert all("--noresume" in call for call in calls)


def test_a_method_variant_gets_its_own_directory_and_shares_the_teacher(tmp_path):
    calls = run_compare(tmp_path, "--method=mimic", "--method=mimic:learning_rate=0.01", "--seeds=0")
    assert methods(calls) == ["--method=booster", "--method=mimic", "--method=mimic:learning_rate=0.01"]
    outputs = [next(a for a in call if a.startswith("--output_dir=")) for call in calls]
    assert outputs[1].endswith("/mimic-seed0") and outputs[2].endswith("/mimic_learning_rate=0.01-seed0")
    assert any(a.endswith("booster-seed0/model.keras") for a in calls[2])


def test_rocket_kd_from_a_frozen_booster_trains_the_booster_first(tmp_path):
    calls = run_compare(tmp_path, "--method=rocket:teacher_alpha=0.9", "--method=rocket:share=stem", "--seeds=0")
    assert methods(calls) == ["--method=booster", "--method=rocket:teacher_alpha=0.9", "--method=rocket:share=stem"]
    assert any(a.endswith("booster-seed0/model.keras") for a in calls[1])
    assert not any(a.startswith("--teacher=") for a in calls[2])


def test_an_unknown_method_is_refused_with_the_valid_ones(tmp_path):
    (tmp_path / "examples").mkdir(exist_ok=True)
    shutil.copy(ROOT / "examples" / "compare.py", tmp_path / "examples" / "compare.py")
    result = subprocess.run([sys.executable, "examples/compare.py", "--method=rocket:lambda=0.01"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "takes parameters" in result.stderr and "hint_weight" in result.stderr


DIVERGING_TRAIN = '''
import json, os, sys
out = [a.split("=", 1)[1] for a in sys.argv if a.startswith("--output_dir=")][0]
os.makedirs(out, exist_ok=True)
with open("calls.jsonl", "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
def record(**fields):
    json.dump(fields, open(os.path.join(out, "results.json"), "w"))
if "--method=rocket" in sys.argv:
    record(training_error="non-finite loss terms hint_loss=nan")
    sys.exit("diverged")
if "--method=light" in sys.argv:
    record(light_test_accuracy=0.8, export_error="RuntimeError: XNNPACK failed to prepare")
    sys.exit("export failed")
if "--method=booster" in sys.argv and "--seed=1" in sys.argv:
    open(os.path.join(out, "model.keras"), "w").write("")  # an epoch's checkpoint
    record(training_error="non-finite loss terms loss=nan")
    sys.exit("diverged")
if "--method=booster" in sys.argv:
    sys.exit("crashed, no results")
record()
'''


def test_a_diverged_run_or_a_failed_export_is_recorded_and_the_comparison_goes_on(tmp_path, capsys):
    calls = run_compare(tmp_path, "--method=rocket", "--method=light", "--method=kd", "--seeds=1",
                        train=DIVERGING_TRAIN)
    # The kd student is not distilled from a teacher that diverged.
    assert methods(calls) == ["--method=rocket", "--method=light", "--method=booster"]
    printed = capsys.readouterr().out
    assert "its teacher" in printed and "diverged" in printed


def test_a_crash_without_a_record_stops_the_comparison_even_over_an_old_record(tmp_path):
    # An old results.json from an earlier run must not pass for this crash's.
    old = tmp_path / "results" / "fashion_mnist" / "resnet14-resnet8" / "booster-seed0"
    old.mkdir(parents=True)
    (old / "results.json").write_text(json.dumps({"training_error": "an earlier run"}))
    with pytest.raises(RuntimeError, match="failed"):
        run_compare(tmp_path, "--method=booster", "--method=light", "--seeds=0", "--noresume", train=DIVERGING_TRAIN)
    assert methods(recorded_calls(tmp_path)) == ["--method=booster"]


def test_the_pair_and_dataset_default_to_the_recipes(tmp_path):
    (tmp_path / "recipe.txt").write_text("--model=wrn40_1-wrn16_1\n--dataset=cifar10\n--epochs=2\n")
    (call,) = run_compare(tmp_path, f"--recipe={tmp_path / 'recipe.txt'}", "--method=light")
    assert "--model=wrn40_1-wrn16_1" in call and "--dataset=cifar10" in call
    assert any(a.endswith("results/cifar10/wrn40_1-wrn16_1/light-seed0") for a in call)
    # Given on the command line, they win.
    (tmp_path / "calls.jsonl").unlink()
    (call,) = run_compare(tmp_path, f"--recipe={tmp_path / 'recipe.txt'}", "--method=light", "--model=resnet20-resnet8")
    assert "--model=resnet20-resnet8" in call


def test_print_study_dir_says_where_the_runs_go_and_runs_nothing(tmp_path, capsys):
    (tmp_path / "recipe.txt").write_text("--model=wrn40_1-wrn16_1\n--dataset=cifar10\n")
    run_compare(tmp_path, f"--recipe={tmp_path / 'recipe.txt'}", "--method=light")
    expected = pathlib.Path("results/cifar10/wrn40_1-wrn16_1")
    assert (tmp_path / expected / "light-seed0" / "results.json").exists()  # where the run went
    for args, directory in (([], expected), (["--study=wrn40_1-wrn16_1.strong", "--results_dir=/r"],
                                             pathlib.Path("/r/cifar10/wrn40_1-wrn16_1.strong"))):
        capsys.readouterr()
        run_compare(tmp_path, f"--recipe={tmp_path / 'recipe.txt'}", "--print_study_dir", *args)
        assert capsys.readouterr().out.strip() == str(directory)
    assert len((tmp_path / "calls.jsonl").read_text().splitlines()) == 1  # printing ran nothing
