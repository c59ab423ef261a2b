"""Every script command the READMEs show parses as written: the script exists,
each flag is one of its flags with a valid value, and every flagfile it names
exists. (Running them is what make demo, the study and the benchmarks do; here
the flags are parsed with the script's own absl definitions, main not run.)"""

import collections
import functools
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "bench/README.md", "results/README.md",
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "recipes").glob("*/README.md"))]
# Placeholders the docs use for values a reader fills in.
PLACEHOLDERS = {"--num_processes=N": "--num_processes=2", "--process_id=I": "--process_id=0"}

PARSE = """
import json, os, runpy, sys
from absl import flags
own = set(flags.FLAGS)  # absl's own flags (--flagfile, ...)
for script, argvs in json.loads(sys.argv[1]).items():
    sys.path.insert(0, os.path.dirname(script))  # as `python script.py` would
    runpy.run_path(script, run_name="documented_command")
    for argv in argvs:
        flags.FLAGS.unparse_flags()
        flags.FLAGS([script, *argv])
    print("parsed", script, len(argvs))
    for name in set(flags.FLAGS) - own:  # the next script defines its own
        delattr(flags.FLAGS, name)
    sys.path.pop(0)
"""


def documented_commands():
    """``{script: [argv, ...]}`` for each script command in a bash block of the docs."""
    commands = collections.defaultdict(list)
    for doc in DOCS:
        text = (ROOT / doc).read_text()
        blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
        # Inline commands: `python examples/...` and the recorded `examples/train.py ...`.
        blocks += re.findall(r"`((?:\.venv/bin/)?python [^`]+)`", text)
        blocks += ["python " + c for c in re.findall(r"`((?:examples|bench)/\w+\.py [^`]+)`", text)]
        for block in blocks:
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split(" #")[0].strip()
                for old, new in PLACEHOLDERS.items():
                    line = line.replace(old, new)
                words = shlex.split(line) if line else []
                words = [w for w in words if not re.match(r"^[A-Z_]+=", w)]  # environment assignments
                if len(words) > 1 and words[0].endswith("python") and words[1].endswith(".py"):
                    commands[words[1]].append(words[2:])
    return commands


def test_the_docs_show_the_main_scripts():
    commands = documented_commands()
    assert {"examples/train.py", "examples/compare.py", "examples/export.py", "bench/train_step.py"} <= set(commands)


def test_every_documented_script_command_parses():
    import json

    commands = dict(sorted(documented_commands().items()))
    for script in commands:
        assert (ROOT / script).exists(), script
    # One process for every script (TensorFlow imported once): each script's
    # flags are removed before the next one defines its own.
    result = subprocess.run([sys.executable, "-c", PARSE, json.dumps(commands)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    for script, argvs in commands.items():
        assert f"parsed {script} {len(argvs)}" in result.stdout


def test_documented_teachers_are_committed_booster_runs():
    # model.keras is not committed; the run directory with its results.json is.
    teachers = [word.split("=", 1)[1] for argvs in documented_commands().values() for argv in argvs
                for word in argv if word.startswith("--teacher=results/")]
    assert teachers
    for teacher in teachers:
        assert (ROOT / teacher).parent.joinpath("results.json").exists(), teacher


def unclosed_fences(text):
    """``[(line, text)]`` of fence-like lines met inside a code block.

    A code block ends only at a bare fence (CommonMark: no text after the
    backticks), so "```" followed by prose on the same line leaves the block
    open, and the prose and every heading after it render as code.
    """
    found, opened = [], None
    for number, line in enumerate(text.splitlines(), 1):
        fence = re.match(r"^ {0,3}(`{3,}|~{3,})(.*)$", line)
        if not fence:
            continue
        marks, rest = fence.groups()
        if opened is None:
            opened = marks
        elif marks[0] == opened[0] and len(marks) >= len(opened) and not rest.strip():
            opened = None
        else:
            found.append((number, line))
    if opened is not None:
        found.append((len(text.splitlines()), "(end of file inside a code block)"))
    return found


def test_every_code_block_of_the_docs_closes_where_it_should():
    assert unclosed_fences("```python\nx = 1\n``` and prose\n\n## Heading\n```bash\nls\n```\n") == [
        (3, "``` and prose"), (6, "```bash")]
    assert unclosed_fences("```python\nx = 1\n```\nprose\n```bash\nls\n```\n") == []
    problems = {doc: unclosed_fences((ROOT / doc).read_text()) for doc in tracked_docs()}
    assert not {doc: lines for doc, lines in problems.items() if lines}


def tracked_docs():
    docs = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert "README.md" in docs
    return docs


def without_code(text):
    return re.sub(r"```.*?```", "", text, flags=re.S)


def test_every_relative_link_of_the_docs_reaches_a_file_and_heading():
    from rocket_keras.training.results import github_anchor, section_anchor

    assert github_anchor("cifar10 / mobilenet1.0-mobilenet0.35") == "cifar10--mobilenet10-mobilenet035"
    assert github_anchor("Search: find the light net (N2N)") == "search-find-the-light-net-n2n"
    assert section_anchor("fashion_mnist", "resnet14-resnet8") == "fashion_mnist--resnet14-resnet8"

    @functools.cache
    def anchors(doc):  # once per linked file, not once per link
        counts, found = collections.Counter(), set()
        for heading in re.findall(r"^#{1,6}\s+(.*)$", without_code((ROOT / doc).read_text()), re.M):
            slug = github_anchor(re.sub(r"[`*]", "", heading))
            found.add(f"{slug}-{counts[slug]}" if counts[slug] else slug)  # GitHub numbers repeated headings
            counts[slug] += 1
        return found

    broken = []
    for doc in tracked_docs():
        for url in re.findall(r"\]\(([^)\s]+)\)", without_code((ROOT / doc).read_text())):
            if re.match(r"^[a-z]+:", url):  # https:, mailto:
                continue
            path, _, fragment = url.partition("#")
            target = (ROOT / doc).parent / path if path else ROOT / doc
            if not target.exists() or (fragment and target.suffix == ".md"
                                       and fragment not in anchors(target.resolve().relative_to(ROOT))):
                broken.append((doc, url))
    assert not broken
