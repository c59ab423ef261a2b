"""N2N learning (Ashok et al., ICLR 2018): layer removal, then layer shrinkage, by REINFORCE.

A network is a state, each policy turns it into a smaller child in one
episode, and only the child gets a reward (gamma = 1):

    R = C (2 - C) * A / A_teacher,   C = 1 - params(child) / params(teacher)

with A the child's validation accuracy after a short distillation from the
teacher; a degenerate child (no block left) gets -1. Each policy update
samples ``rollouts`` children and takes one REINFORCE step with a
moving-average baseline. Stage 1 searches removals from the teacher; stage
2 searches shrink ratios of stage 1's best child. Children that build the
same network are trained once (their reward is reused, as in the authors'
code).

The space: ``removal="block"`` (the default) has one unit per residual
block (``architecture``: whole identity-shortcut blocks are removed, one
ratio per block); ``removal="layer"`` one unit per convolution
(``layer_space``: single width-preserving convolutions are removed, each
free convolution width has its own ratio), as the authors remove and
shrink single layers. ``ratios="authors"`` is the authors' set of 11
shrink actions (``policies.AUTHORS_RATIOS``).

Options beyond the paper's default: ``sampler="random"`` draws every child
uniformly from the same space (each removable unit kept or removed with
probability 1/2, each shrinkable unit's ratio with probability
1/len(ratios)) and never updates a policy: the control a policy must beat
at the same number of trained children.
``shrink_reward="parent"`` scores stage 2 against stage 1's best child (its
parameters and accuracy in place of the teacher's), as the authors' code
does, instead of against the teacher. ``max_params`` is the constrained
reward: a child above that size gets -1, as a degenerate one.

Everything needed to continue lands in ``output_dir`` after each update:
``children.jsonl`` (one line per child), ``state.json`` (stage, update,
baseline, random state, best children) and the two policies as ``.keras``
files (weights and Adam state), so ``N2NSearch(..., resume=True)`` carries
on where an interrupted run stopped.
"""

import dataclasses
import json
import os
import time

import keras
import numpy as np

from rocket_keras import losses
from rocket_keras.search import architecture, child_training, layer_space, policies
from rocket_keras.zoo.dual_head import build_network
from rocket_keras.zoo.spec import spec_from_dict, spec_to_dict

DEGENERATE_REWARD = -1.0
STAGES = ("removal", "shrink")
SAMPLERS = ("policy", "random")
# The modules that describe, remove and shrink the units of each space.
SPACES = {"block": architecture, "layer": layer_space}


def compression(params, teacher_params):
    """C = 1 - params / teacher_params."""
    return 1.0 - params / teacher_params


def reward(params, teacher_params, accuracy, teacher_accuracy):
    """The N2N reward C (2 - C) A / A_teacher.

    Example:

    ```python
    reward(50, 100, accuracy=0.9, teacher_accuracy=0.9)  # 0.75: C = 0.5
    reward(100, 100, 0.9, 0.9)  # 0.0: no compression, no reward
    ```
    """
    c = compression(params, teacher_params)
    return c * (2.0 - c) * accuracy / teacher_accuracy


@dataclasses.dataclass
class Child:
    """One evaluated child, as logged in ``children.jsonl``."""

    stage: str
    update: int
    rollout: int
    architecture: dict
    params: int
    accuracy: float
    reward: float
    seconds: float
    cached: bool
    degenerate: bool = False


def _as_record(child):
    return dataclasses.asdict(child)


def read_children(output_dir):
    """Every ``Child`` a search logged in ``output_dir/children.jsonl``, in the order they were drawn.

    Reads the log alone (no teacher, no policies), as a report over finished
    searches does.

    Example:

    ```python
    children = read_children("runs/search")
    max(c.reward for c in children)
    ```
    """
    with open(os.path.join(output_dir, "children.jsonl")) as f:
        return [Child(**json.loads(line)) for line in f if line.strip()]


def trained_prefix(children, count):
    """The children drawn up to and including the ``count``-th trained one (all of them if fewer were trained).

    A child seen before (``cached``) or with no block left (``degenerate``)
    costs no training; cutting two searches' logs at the same number of
    trained children compares them at the same cost.

    Example:

    ```python
    best_child(trained_prefix(read_children("runs/search"), 40))  # the best of the first 40 trained
    ```
    """
    trained = 0
    for index, child in enumerate(children):
        trained += not child.cached and not child.degenerate
        if trained == count:
            return children[:index + 1]
    return list(children)


def best_child(children, max_params=None):
    """The child with the highest reward; with ``max_params``, the most accurate of at most that many parameters.

    Degenerate children never count; ``None`` when no child qualifies.

    Example:

    ```python
    best_child(read_children("runs/search")).reward
    best_child(read_children("runs/search"), max_params=78_042)  # a child no larger than ResNet-8
    ```
    """
    candidates = [c for c in children if not c.degenerate]
    if max_params is None:
        return max(candidates, key=lambda c: c.reward) if candidates else None
    # The reward favours compression, so the best-reward child may be much smaller.
    candidates = [c for c in candidates if c.params <= max_params]
    return max(candidates, key=lambda c: (c.accuracy, -c.params)) if candidates else None


def best_reward_curve(children):
    """The best reward found after each trained child: the search's progress against its cost.

    A child counts when it was trained: one seen before (``cached``) or
    with no block left (``degenerate``) costs no training and is skipped,
    so that two searches are compared at the same number of trained
    children. Entry ``k`` is the highest reward among the children drawn up
    to and including the ``k + 1``-th trained one.

    Example:

    ```python
    best_reward_curve(read_children("runs/search"))  # [0.61, 0.72, 0.72, ...], one per trained child
    ```
    """
    curve, best = [], None
    for child in children:
        if not child.degenerate:
            best = child.reward if best is None else max(best, child.reward)
        if not child.cached and not child.degenerate:
            curve.append(best)
    return curve


class N2NSearch:
    """Searches a light net from a trained teacher, N2N style.

    Args:
        teacher: the trained teacher, a Keras model from images to logits.
        teacher_spec: the teacher's ``NetworkSpec`` (e.g.
            ``rocket_keras.zoo.network_spec("resnet14")``); children are built
            from it by the zoo's templates.
        train: ``(images, labels)`` arrays the children are distilled on.
        validation: ``(images, labels)`` arrays that score them (never the
            test set).
        output_dir: where the log, state and policies go.
        rollouts: children per policy update (the paper: 5).
        child_epochs: passes over ``train`` for each child.
        batch_size: child training batch size.
        hint_weight: lambda of the children's logits term.
        ratios: the shrink ratios to choose from, or the name of a set
            (``"default"``: 0.25, 0.5, 0.75, 1.0; ``"authors"``: the N2N
            authors' 11 actions, ``policies.AUTHORS_RATIOS``).
        learning_rate: Adam learning rate of both policies (0.003 here for
            both; the authors' ``run.py`` uses 0.003 for removal and 0.1 for
            shrinkage).
        baseline_decay: the baseline's moving average keeps this share of
            its value at each update.
        sampler: ``"policy"`` (N2N) or ``"random"`` (the control: uniform
            draws from the same space, no policy update).
        shrink_reward: score stage 2 against the ``"teacher"`` (default) or
            the ``"parent"``, stage 1's best child.
        max_params: a size budget: children with more parameters get
            reward -1 (``None``: no budget).
        removal: the space, ``"block"`` (one unit per block; the default)
            or ``"layer"`` (one unit per convolution: single convolutions
            removed, one ratio per free convolution width).
        seed: seeds the policies, the sampling and the children.
        resume: continue from ``output_dir`` when it holds a state.

    Example:

    ```python
    search = N2NSearch(teacher, network_spec("resnet14"), (x, y), (x_val, y_val), output_dir="runs/search")
    best = search.run(removal_updates=10, shrink_updates=10)
    best.params, best.accuracy
    ```
    """

    def __init__(self, teacher, teacher_spec, train, validation, output_dir, *, rollouts=5, child_epochs=1,
                 batch_size=128, hint_weight=losses.HINT_WEIGHT, ratios=policies.DEFAULT_RATIOS, learning_rate=0.003,
                 baseline_decay=0.8, seed=0, resume=True, verbose=True, sampler="policy", shrink_reward="teacher",
                 max_params=None, removal="block"):
        if rollouts < 1:
            raise ValueError(f"`rollouts` must be at least 1. Received: rollouts={rollouts!r}")
        if sampler not in SAMPLERS:
            raise ValueError(f"`sampler` must be one of {SAMPLERS}. Received: sampler={sampler!r}")
        if shrink_reward not in ("teacher", "parent"):
            raise ValueError(f"`shrink_reward` must be 'teacher' or 'parent'. Received: shrink_reward={shrink_reward!r}")
        if removal not in SPACES:
            raise ValueError(f"`removal` must be one of {tuple(SPACES)}. Received: removal={removal!r}")
        self.sampler, self.shrink_reward, self.max_params = sampler, shrink_reward, max_params
        self.removal, self.space = removal, SPACES[removal]
        self.teacher_spec = teacher_spec
        self.train, self.validation = train, validation
        self.output_dir = output_dir
        self.rollouts, self.child_epochs, self.batch_size = rollouts, child_epochs, batch_size
        self.hint_weight, self.ratios = hint_weight, policies.ratio_set(ratios)
        self.baseline_decay, self.seed, self.verbose = baseline_decay, seed, verbose
        self.input_shape = tuple(teacher.inputs[0].shape[1:])
        self.num_classes = int(teacher.outputs[0].shape[-1])
        self.teacher_params = self._params(teacher_spec)
        self.teacher_accuracy = child_training.accuracy(teacher, *validation)
        self.logits = child_training.teacher_logits(teacher, train[0])
        os.makedirs(output_dir, exist_ok=True)
        self.policies = {
            "removal": policies.removal_policy(learning_rate, seed=seed, features=self.space.FEATURES),
            "shrink": policies.shrink_policy(self.ratios, learning_rate, seed=seed + 1,
                                             features=self.space.FEATURES),
        }
        self.state = {"updates": {stage: 0 for stage in STAGES}, "baseline": {}, "best": {}, "rng": None,
                      "shrink_start": None, "teacher_params": self.teacher_params,
                      "teacher_accuracy": self.teacher_accuracy, "removal": removal, "ratios": list(self.ratios)}
        self.rng = np.random.default_rng(seed)
        self.cache = {}
        if resume and os.path.exists(self._path("state.json")):
            self._restore()
        else:
            open(self._path("children.jsonl"), "w").close()

    # -- files --------------------------------------------------------------
    def _path(self, name):
        return os.path.join(self.output_dir, name)

    def _save(self):
        self.state["rng"] = self.rng.bit_generator.state
        for stage, policy in self.policies.items():
            policy.save(self._path(f"{stage}_policy.keras"))
        with open(self._path("state.json.tmp"), "w") as f:
            json.dump(self.state, f, indent=1)
        os.replace(self._path("state.json.tmp"), self._path("state.json"))

    def _restore(self):
        with open(self._path("state.json")) as f:
            state = json.load(f)
        # A state written before the space was recorded is a block search
        # (its ratios were not recorded: not checked).
        state.setdefault("removal", "block")
        state.setdefault("ratios", list(self.ratios))
        for name, value in (("removal", self.removal), ("ratios", list(self.ratios))):
            saved = state[name]
            if saved != value:
                raise ValueError(f"{self.output_dir} holds a search with {name}={saved!r}; it continues with the "
                                 f"same {name}, or starts over with resume=False. Received: {name}={value!r}")
        self.state = state
        self.rng.bit_generator.state = self.state["rng"]
        for stage in STAGES:
            path = self._path(f"{stage}_policy.keras")
            if os.path.exists(path):
                self.policies[stage] = keras.models.load_model(path)
            elif self.state["updates"][stage] and self.sampler != "random":  # random search never reads them
                raise ValueError(
                    f"{self.output_dir} holds a search state but not its {stage} policy, so it cannot be "
                    f"continued (a copy of its log without the .keras files). Start over with resume=False "
                    f"(examples/search.py --noresume) or in another directory. Received: no {path}"
                )
        # Lines written after the last saved update belong to an update that
        # will run again: drop them so the log holds each child once.
        kept = [c for c in self.children() if c.update < self.state["updates"][c.stage]]
        with open(self._path("children.jsonl"), "w") as f:
            f.writelines(json.dumps(_as_record(c)) + "\n" for c in kept)
        for child in kept:
            if not child.degenerate:
                self.cache[child.architecture_key] = (child.params, child.accuracy)

    def children(self):
        """Every child evaluated so far, from ``children.jsonl``."""
        out = read_children(self.output_dir)
        for child in out:
            child.architecture_key = architecture.key(self.spec_of(child))
        return out

    # -- children -----------------------------------------------------------
    def _params(self, spec):
        return build_network(spec, input_shape=self.input_shape, num_classes=self.num_classes).count_params()

    def evaluate(self, spec, stage, update, rollout):
        """Builds, trains and scores one child; logs it and returns its ``Child``."""
        record = dict(stage=stage, update=update, rollout=rollout, architecture=spec_to_dict(spec))
        if architecture.num_blocks(spec) == 0:
            child = Child(**record, params=0, accuracy=0.0, reward=DEGENERATE_REWARD, seconds=0.0, cached=False,
                          degenerate=True)
        else:
            key = architecture.key(spec)
            cached = key in self.cache
            if cached:
                params, accuracy = self.cache[key]
                seconds = 0.0
            else:
                seed = self.seed * 100003 + STAGES.index(stage) * 10007 + update * 101 + rollout
                keras.utils.set_random_seed(seed)
                net = build_network(spec, input_shape=self.input_shape, num_classes=self.num_classes, name="child")
                params = net.count_params()
                accuracy, seconds = child_training.train_child(
                    net, self.train, self.validation, self.logits, epochs=self.child_epochs,
                    batch_size=self.batch_size, hint_weight=self.hint_weight, seed=seed,
                )
                self.cache[key] = (params, accuracy)
            reference_params, reference_accuracy = self._reference(stage)
            score = reward(params, reference_params, accuracy, reference_accuracy)
            if self.max_params is not None and params > self.max_params:
                score = DEGENERATE_REWARD  # the constrained reward: over budget
            child = Child(**record, params=params, accuracy=accuracy, seconds=seconds, cached=cached, reward=score)
        with open(self._path("children.jsonl"), "a") as f:
            f.write(json.dumps(_as_record(child)) + "\n")
        best = self.state["best"].get(stage)
        if best is None or child.reward > best["reward"]:
            self.state["best"][stage] = _as_record(child)
        if self.verbose:
            print(f"{stage} update {update} rollout {rollout}: {child.params:,} parameters, "
                  f"validation accuracy {child.accuracy:.4f}, reward {child.reward:+.4f}"
                  f"{' (seen before)' if child.cached else ''}", flush=True)
        return child

    def _reference(self, stage):
        """``(params, accuracy)`` a child of ``stage`` is scored against: the teacher's, or stage 2's parent's."""
        parent = self.state["best"].get("removal") if stage == "shrink" and self.shrink_reward == "parent" else None
        if parent is None or parent.get("degenerate"):
            return self.teacher_params, self.teacher_accuracy
        return parent["params"], parent["accuracy"]

    # -- the search ---------------------------------------------------------
    def _start_spec(self, stage):
        if stage == "removal":
            return self.teacher_spec
        if self.state["shrink_start"] is None:
            # Stage 2 shrinks stage 1's best child, fixed when it starts.
            best = self.state["best"].get("removal")
            self.state["shrink_start"] = best["architecture"] if best else spec_to_dict(self.teacher_spec)
        return spec_from_dict(self.state["shrink_start"], self.teacher_spec)

    def _one_update(self, stage, update):
        spec = self._start_spec(stage)
        units = self.space.describe(spec)
        x_t = self.space.features(units)
        policy = self.policies[stage]
        random = self.sampler == "random"
        if stage == "removal":
            acting = np.asarray([u.removable for u in units])
            actions = (policies.sample_uniform(len(units), 2, self.rng, self.rollouts, acting) if random
                       else policies.sample_removal(policy, x_t, self.rng, self.rollouts))
            inputs = np.repeat(np.asarray([x_t], "float32"), self.rollouts, axis=0)
            children = [self.space.remove(spec, a) for a in actions]
        else:
            acting = np.asarray([u.shrinkable for u in units])
            actions = (policies.sample_uniform(len(units), len(self.ratios), self.rng, self.rollouts, acting,
                                               idle=int(np.argmax(self.ratios))) if random
                       else policies.sample_shrink(policy, x_t, self.rng, self.rollouts))
            inputs = policies.shrink_inputs(x_t, actions, len(self.ratios))
            children = [self.space.shrink(spec, [self.ratios[i] for i in a]) for a in actions]
        rewards = [self.evaluate(child, stage, update, r).reward for r, child in enumerate(children)]
        mean = float(np.mean(rewards))
        baseline = self.state["baseline"].get(stage, mean)
        if not random:
            policies.reinforce_update(policy, inputs, actions, rewards, baseline, acting)
        self.state["baseline"][stage] = self.baseline_decay * baseline + (1 - self.baseline_decay) * mean
        return mean

    def run(self, removal_updates=10, shrink_updates=10):
        """Runs (or continues) both stages up to these numbers of updates; returns the best ``Child``.

        The best child has the highest reward over both stages; its
        ``NetworkSpec`` is ``best_spec()``. Stage 2 shrinks the best child
        of stage 1 as it was when stage 2 started.
        """
        budgets = {"removal": removal_updates, "shrink": shrink_updates}
        for stage in STAGES:
            for update in range(self.state["updates"][stage], budgets[stage]):
                started = time.perf_counter()
                mean = self._one_update(stage, update)
                self.state["updates"][stage] = update + 1
                self._save()
                if self.verbose:
                    print(f"{stage} update {update}: mean reward {mean:+.4f}, baseline "
                          f"{self.state['baseline'][stage]:+.4f}, {time.perf_counter() - started:.0f} s", flush=True)
        return self.best()

    def best(self):
        """The ``Child`` with the highest reward so far (``None`` before any)."""
        candidates = [Child(**c) for c in self.state["best"].values()]
        return max(candidates, key=lambda c: c.reward) if candidates else None

    def best_within(self, max_params):
        """The child with the highest validation accuracy among those of at most ``max_params``.

        For comparing with a hand-designed net of a given size (the reward
        favours compression, so the best-reward child may be much smaller).
        ``None`` when no child is that small.
        """
        return best_child(self.children(), max_params)

    def spec_of(self, child):
        """The ``NetworkSpec`` of a logged ``Child``."""
        return spec_from_dict(child.architecture, self.teacher_spec)

    def best_spec(self):
        """The ``NetworkSpec`` of the best child."""
        return self.spec_of(self.best())
