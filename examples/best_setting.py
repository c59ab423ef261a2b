r"""Prints, of several method specs run on one seed, the one whose light net did best on the validation split.

    python examples/best_setting.py --study_dir=results/cifar10/resnet20-resnet8.kd_grid \
        --method=kd:student_loss_weight=0.1,temperature=4 --method=kd:student_loss_weight=0.5,temperature=4

The choice is ``rocket_keras.training.results.best_on_validation``: the last
epoch's validation accuracy of the light net, never the test split. For
scripts that choose a setting and then run it on more seeds
(examples/strong_recipe_study.sh); an error names a setting that has not run.
"""

from absl import app, flags

from rocket_keras.training.results import best_on_validation

flags.DEFINE_string("study_dir", None, "A pair's result directory: results/<dataset>/<study>.", required=True)
flags.DEFINE_multi_string("method", None, "A method spec to choose among (repeat).", required=True)
flags.DEFINE_integer("seed", 0, "The seed the settings ran on.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    print(best_on_validation(FLAGS.study_dir, FLAGS.method, FLAGS.seed))


if __name__ == "__main__":
    app.run(main)
