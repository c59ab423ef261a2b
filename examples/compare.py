r"""Runs several training methods on one pair and dataset, over seeds.

    python examples/compare.py --model=resnet14-resnet8 --dataset=fashion_mnist \
        --recipe=recipes/resnet14-resnet8/fashion_mnist_demo.txt \
        --method=light --method=booster --method=kd --method=rocket \
        --method=rocket:gradient_block=False --method=rocket:share=none --seeds=0,1,2

Each run is one ``examples/train.py`` process with the same recipe (the
flagfile; ``--model`` and ``--dataset`` default to the recipe's) plus ``--method=<spec>`` (``rocket_keras.methods``: a method and
its parameters, e.g. ``rocket:hint_weight=0.01``), writing
``results/<dataset>/<model>/<method slug>-seed<k>/`` (``--study`` names
another directory than ``<model>``, for another recipe; the slug is the spec
with ``_`` for ``:``, e.g. ``rocket_hint_weight=0.01``): ``results.json`` with
test accuracies, parameters, epochs, wall-clock time, every flag and the
exact command; ``history.csv``, the Keras CSV history. A run whose
``results.json`` exists is skipped (``--resume``, on by default), so a long
comparison can be run in pieces. Methods that need a teacher (``kd``,
``mimic``, ``rocket:teacher_alpha=...``) use the ``booster`` run of the same
seed, which runs first (once per call, and again when it has no teacher
file: ``booster.keras``, kept beside its record since 2026-12-05, or the
``model.keras`` of an older run, which git does not keep). A run that diverges (non-finite loss)
or whose export fails writes a ``results.json`` that records the error; the
comparison goes on with the next run, and skips the methods of a diverged
teacher.
"""

import os
import shutil
import subprocess
import sys

from absl import app, flags

from rocket_keras import methods, training

TEACHER = "booster"  # what two-stage methods distil: the booster alone, same seed


flags.DEFINE_string("model", None, "Registered pair; default: the recipe's --model, else resnet14-resnet8.")
flags.DEFINE_string("dataset", None, "Dataset name; default: the recipe's --dataset, else fashion_mnist.")
flags.DEFINE_string("recipe", None, "absl flagfile with the shared training recipe (epochs, lr, ...).")
flags.DEFINE_multi_string("method", ["light", "booster", "kd", "rocket"],
                          "A method spec (rocket_keras.methods), repeatable: --method=light --method=rocket:hint_weight=0.01.")
flags.DEFINE_list("seeds", ["0"], "Seeds.")
flags.DEFINE_string("results_dir", "results", "Root of the result tree.")
flags.DEFINE_string("study", None, "This comparison's directory under <results_dir>/<dataset>/; default: the model's "
                    "name. Another recipe on the same pair gets its own: --study=resnet20-resnet8.strong.")
flags.DEFINE_bool("resume", True, "Skip runs whose results.json exists.")
flags.DEFINE_multi_string("extra", [], "More train.py flags for every run, e.g. --extra=--epochs=5.")
flags.DEFINE_bool("print_study_dir", False, "Print the study's directory (<results_dir>/<dataset>/<study>) and run "
                  "nothing: where a script finds the runs these flags make.")
FLAGS = flags.FLAGS


def recipe_value(name):
    """What the recipe flagfile sets ``--<name>`` to (the last setting wins, as in train.py), or None."""
    if not FLAGS.recipe:
        return None
    # absl's own reading: comments skipped, nested flagfiles expanded.
    args = FLAGS.read_flags_from_files([f"--flagfile={FLAGS.recipe}"], force_gnu=False)
    values = [arg.split("=", 1)[1] for arg in args if arg.startswith(f"--{name}=")]
    return values[-1] if values else None


def study_dir():
    return os.path.join(FLAGS.results_dir, FLAGS.dataset, FLAGS.study or FLAGS.model)


def run_dir(method, seed):
    return os.path.join(study_dir(), f"{method.slug}-seed{seed}")


def read_results(out):
    """The run's record (``rocket_keras.training.read_results``), or ``{}`` before it has one."""
    if not os.path.exists(os.path.join(out, training.records.RESULTS_FILE)):
        return {}
    return training.read_results(out)


def run(method, seed, done):
    """Runs ``method`` for ``seed`` unless it is finished; ``done`` holds runs made by this call."""
    out = run_dir(method, seed)
    if out in done:
        return
    finished = os.path.exists(os.path.join(out, "results.json"))
    if method.spec == TEACHER:
        # A teacher is only usable with its file: older runs kept only model.keras, which git does
        # not keep, so a fresh clone has their results but no teacher.
        finished = finished and training.teacher_file(out) is not None
    if FLAGS.resume and finished:
        print(f"skip {out} (done)")
        return
    command = [sys.executable, "examples/train.py"]
    if FLAGS.recipe:
        command.append(f"--flagfile={FLAGS.recipe}")
    # After the recipe: given on this command line, they win over its values.
    command += [f"--model={FLAGS.model}", f"--dataset={FLAGS.dataset}"]
    command += [f"--method={method.spec}"] + list(FLAGS.extra) + [f"--seed={seed}", f"--output_dir={out}", "--verbose=2"]
    if not FLAGS.resume:
        command.append("--noresume")  # start afresh, even from a leftover backup
    if method.needs_teacher:
        teacher_method = methods.parse(TEACHER)
        teacher = run_dir(teacher_method, seed)
        run(teacher_method, seed, done)
        if "training_error" in read_results(teacher):
            # Its last checkpoint is a half-trained net: nothing fair to distil.
            print(f"skip {out}: its teacher {teacher} diverged", flush=True)
            return
        command.append(f"--teacher={training.teacher_file(teacher)}")
    # A record left by an earlier run must not stand for this one.
    if os.path.exists(os.path.join(out, "results.json")):
        os.remove(os.path.join(out, "results.json"))
    print("+", " ".join(command), flush=True)
    if subprocess.run(command).returncode:
        record = read_results(out)
        # A diverged run, or a trained one whose export failed, is a finished
        # result that results.json describes: go on with the next run.
        if "training_error" not in record and "export_error" not in record:
            raise RuntimeError(f"{' '.join(command)} failed; see its output above.")
        print(f"{out} did not finish cleanly; its results.json records why.", flush=True)
    done.add(out)
    # Keep the result files; the backup and TensorBoard logs stay local.
    for transient in ("backup", "logs"):
        shutil.rmtree(os.path.join(out, transient), ignore_errors=True)


def main(argv):
    del argv
    # The recipe's pair and dataset unless given here: the run directories are named by them.
    FLAGS.model = FLAGS.model or recipe_value("model") or "resnet14-resnet8"
    FLAGS.dataset = FLAGS.dataset or recipe_value("dataset") or "fashion_mnist"
    if FLAGS.print_study_dir:
        print(study_dir())
        return
    try:
        chosen = [methods.parse(spec) for spec in FLAGS.method]
    except ValueError as error:
        raise app.UsageError(str(error)) from None
    done = set()
    for seed in FLAGS.seeds:
        for method in chosen:
            run(method, seed, done)


if __name__ == "__main__":
    app.run(main)
