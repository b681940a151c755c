"""The documentation says only what is true of the code (issue 19, item 6).

- every ``gaia-sim ...`` command in README.md and docs/*.md (code blocks and inline code) names a
  sub-command that exists, and every ``--flag`` it uses appears in that sub-command's ``--help``;
- every repository path they mention (``scenarios/...``, ``gaia_sim/...``, ``experiments/...``, ...,
  and relative Markdown links, with their ``#anchors``) exists; ``tests/x.py::name`` names a test;
- the README's worked example (the code block after ``<!-- docs-test: run -->``) runs in a temporary
  folder and prints the lines the README shows, in the same order: first its shape (numbers, paths
  and prose masked), then its figures (paths masked: same seed, same results);
- the figures the README quotes for the seed-2 baseline are what the code gives;
- paths named in every sub-command's ``--help`` and in scenario comments exist, and a scenario
  comment listing a key's choices lists exactly the schema's.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from gaia_sim.cli import COMMANDS
from gaia_sim.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "experiments" / "README.md"]
RUN_MARKER = "<!-- docs-test: run -->"
TOP = ("scenarios", "gaia_sim", "experiments", "docs", "tests", "benchmarks", "dashboard", ".ci")
GENERATED = ("tests/browser/screenshots",)  # written by test runs, gitignored
PATH_RE = re.compile(r"(?<![\w./~$-])((?:%s)/[\w./<>*|-]*)" % "|".join(re.escape(t) for t in TOP))
FILE_RE = re.compile(r"(?<![\w./~$-])((?:README|ASSUMPTIONS)\.md|Makefile|pyproject\.toml)(?![\w.-])")
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")
FLAG_RE = re.compile(r"^\[?(--[A-Za-z0-9][\w-]*)")


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def code_blocks(text: str) -> list[tuple[str, str, bool]]:
    """(language, body, marked to run) for every fenced code block."""
    out = []
    for m in re.finditer(r"(?ms)^```(\w*)\n(.*?)^```", text):
        before = text[: m.start()].rstrip().splitlines()
        out.append((m.group(1), m.group(2), bool(before) and before[-1].strip() == RUN_MARKER))
    return out


def block_commands(body: str) -> list[list[str]]:
    """``gaia-sim ...`` lines of a code block (``$ `` prompts, ``\\`` continuations, comments)."""
    lines = body.replace("\\\n", " ").splitlines()
    if any(ln.startswith("$ ") for ln in lines):  # a transcript: only the prompt lines are commands
        lines = [ln[2:] for ln in lines if ln.startswith("$ ")]
    out = []
    for line in lines:
        line = line.strip()
        if line.startswith("gaia-sim "):
            out.append(shlex.split(line, comments=True))
    return out


def inline_commands(text: str) -> list[list[str]]:
    prose = re.sub(r"(?ms)^```.*?^```", "", text)
    return [shlex.split(c, comments=True) for c in re.findall(r"`(gaia-sim [^`]+)`", prose)]


def commands(doc: Path) -> list[list[str]]:
    text = doc.read_text(encoding="utf-8")
    return [c for _, body, _ in code_blocks(text) for c in block_commands(body)] + inline_commands(text)


@cache
def help_text(*words: str) -> str:
    """``gaia-sim WORDS --help``, in this process (argparse prints the help and exits 0)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit) as stop:
        cli_main([*words, "--help"])
    assert stop.value.code == 0, f"gaia-sim {' '.join(words)} --help exited {stop.value.code}"
    return buf.getvalue()


def check_command(argv: list[str]) -> list[str]:
    """Problems with one ``gaia-sim`` command line as written in the docs ([] when fine)."""
    shown = " ".join(argv)
    sub = argv[1]
    if sub.isupper():  # a placeholder: gaia-sim COMMAND --help
        return []
    if sub not in COMMANDS:
        return [f"{shown!r}: no sub-command {sub!r} (have {', '.join(COMMANDS)})"]
    problems, helps = [], []
    if sub == "bank":
        actions = argv[2].split("/") if len(argv) > 2 else []
        known = help_text("bank")
        for action in actions:
            if not re.search(rf"\b{re.escape(action)}\b", known):
                problems.append(f"{shown!r}: gaia-sim bank has no action {action!r}")
            else:
                helps.append(help_text("bank", action))
    else:
        helps.append(help_text(sub))
    for word in argv[2:]:
        m = FLAG_RE.match(word)
        if not m:
            continue
        flag = re.compile(rf"(?<![\w-]){re.escape(m.group(1))}(?![\w-])")
        if not all(flag.search(h) for h in helps):
            problems.append(f"{shown!r}: {m.group(1)} is not an option of gaia-sim {sub}")
    return problems


def test_readme_commands_exist_with_their_flags():
    found = [c for c in commands(README)]
    assert len(found) >= 10, "the README should show its commands in code blocks or inline code"
    problems = [p for c in found for p in check_command(c)]
    assert not problems, "\n".join(problems)
    subs = {c[1] for c in found}
    missing = set(COMMANDS) - subs
    assert not missing, f"README's command table lacks: {sorted(missing)}"


@pytest.mark.parametrize("doc", DOCS[1:], ids=rel)
def test_commands_in_docs_exist_with_their_flags(doc):
    problems = [p for c in commands(doc) for p in check_command(c)]
    assert not problems, f"{rel(doc)}:\n" + "\n".join(problems)


def _exists(pattern: str, base: Path = ROOT) -> bool:
    """A path as the docs write it: placeholders such as <name>, a|b or * match anything."""
    pattern = pattern.split("::")[0].rstrip(".,;:")
    glob = re.sub(r"<[^>]*>", "*", pattern)
    glob = re.sub(r"[\w.-]*\|[\w.|-]*", "*", glob)
    if any(ch in glob for ch in "*?["):
        return any(base.glob(glob.rstrip("/")))
    return (base / glob).exists()


def _anchors(doc: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    heads = re.findall(r"(?m)^#{1,6} (.+)$", re.sub(r"(?ms)^```.*?^```", "", doc.read_text(encoding="utf-8")))
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def path_problems(doc: Path) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    problems = []
    for path in set(PATH_RE.findall(text)) | set(FILE_RE.findall(text)):
        if path.startswith(GENERATED):
            continue
        if not _exists(path):
            problems.append(f"{rel(doc)}: {path} does not exist")
        elif "::" in path:
            file, name = path.split("::")[0], path.split("::")[1].rstrip(".,;:")
            if not re.search(rf"(?m)^\s*def {re.escape(name)}\b", (ROOT / file).read_text(encoding="utf-8")):
                problems.append(f"{rel(doc)}: {file} has no test {name}")
    for link in LINK_RE.findall(text):
        if re.match(r"[a-z]+:", link):  # https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        target_path = (doc.parent / target).resolve() if target else doc
        if not target_path.exists():
            problems.append(f"{rel(doc)}: link {link} -> {target} does not exist")
        elif anchor and target_path.suffix == ".md" and anchor not in _anchors(target_path):
            problems.append(f"{rel(doc)}: link {link}: no heading #{anchor} in {rel(target_path)}")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_paths_in_docs_exist(doc):
    problems = path_problems(doc)
    assert not problems, "\n".join(sorted(problems))


def test_no_doc_names_the_deleted_team_brief():
    stale = [rel(d) for d in DOCS if "docs/TEAM.md" in d.read_text(encoding="utf-8")]
    assert not stale, f"docs/TEAM.md was deleted; still named in {stale}"


def test_path_check_can_fail(tmp_path):
    """The checks above catch a wrong path, a wrong link, a wrong flag and a wrong sub-command."""
    doc = tmp_path / "x.md"
    doc.write_text("See `scenarios/no_such.toml`, `gaia_sim/nowhere.py` and [a](missing.md).\n")
    assert len(path_problems(doc)) == 3
    assert check_command(["gaia-sim", "run", "scenarios/baseline.toml", "--no-such-flag"])
    assert check_command(["gaia-sim", "simulate", "x.toml"])
    assert not check_command(["gaia-sim", "run", "scenarios/baseline.toml", "--seed", "2"])


def _mask(line: str) -> str:
    """A line's shape: paths, numbers, runs of spaces and the prose after "Label:" masked."""
    line = re.sub(r"^([A-Z][a-z]+(?: [a-z]+)*)\b[^:]*:\s.*", r"\1: <text>", line.strip())
    line = re.sub(r"\S*/\S*", "<path>", line)
    line = re.sub(r"\b[0-9a-f]{12}\b", "<hash>", line)
    line = re.sub(r"[-+]?\d[\d,]*(\.\d+)?(e[-+]?\d+)?", "#", line)
    return re.sub(r"\s+", " ", line).strip()


def worked_examples() -> list[tuple[list[str], list[str]]]:
    """(command, output lines shown) for each command of a block marked to run."""
    blocks = code_blocks(README.read_text(encoding="utf-8"))
    out = []
    for i, (_, body, marked) in enumerate(blocks):
        if not marked:
            continue
        shown = next((b for lang, b, _ in blocks[i + 1 :] if not lang), "")
        out += [(cmd, [ln for ln in shown.splitlines() if ln.strip()]) for cmd in block_commands(body)]
    return out


def test_readme_marks_a_worked_example():
    assert EXAMPLES, f"README.md: no code block after {RUN_MARKER}"


EXAMPLES = worked_examples()


@pytest.mark.parametrize("argv,shown", EXAMPLES, ids=[" ".join(c) for c, _ in EXAMPLES])
def test_readme_worked_example_runs_and_prints_what_the_readme_shows(argv, shown, tmp_path):
    args = list(argv[1:])
    if args[0] in ("run", "sweep") and "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    script = Path(sys.executable).with_name("gaia-sim")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "gaia_sim.cli"]
    proc = subprocess.run(cmd + args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stderr[-2000:]}"
    got = [_mask(ln) for ln in proc.stdout.splitlines() if ln.strip()]
    want = [_mask(ln) for ln in shown]
    assert want, "README shows no output block after the worked example"
    assert got == want, (
        "README's output block no longer matches what the command prints "
        "(numbers and paths masked); rerun it and paste the output.\n"
        "README:\n" + "\n".join(want) + "\n\nprinted:\n" + "\n".join(got)
    )
    exact = [re.sub(r"\S*/\S*", "<path>", ln).strip() for ln in shown]
    printed = [re.sub(r"\S*/\S*", "<path>", ln).strip() for ln in proc.stdout.splitlines() if ln.strip()]
    assert printed == exact, (
        "the figures in README's output block are no longer what the command prints "
        "(same seed, same results); paste the new output and check the prose after it.\n"
        + "\n".join(f"- {a}\n+ {b}" for a, b in zip(exact, printed) if a != b)
    )
    if args[0] == "run":
        assert list((tmp_path / "out").glob("*/*/manifest.json")), "the run wrote no manifest under --out"


SCENARIO_FILES = sorted((ROOT / "scenarios").rglob("*.toml"))


@pytest.mark.parametrize(
    "words", [(c,) for c in COMMANDS] + [("bank", a) for a in ("build", "verify", "info", "calibrate")], ids=" ".join
)
def test_paths_named_in_help_texts_exist(words):
    text = help_text(*words)
    missing = [p for p in PATH_RE.findall(text) if not _exists(p)]
    assert not missing, f"gaia-sim {' '.join(words)} --help names {missing}, which do not exist"


def _choices(path: str) -> tuple | None:
    """The allowed values of a Literal parameter at ``path`` (e.g. behaviours.lazy.mode), else None."""
    import typing

    from gaia_sim.params import ScenarioParams

    model = ScenarioParams
    for part in path.split("."):
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        model = field.annotation
    return typing.get_args(model) if typing.get_origin(model) is typing.Literal else None


@pytest.mark.parametrize("scenario", SCENARIO_FILES, ids=rel)
def test_scenario_comments_name_real_files_and_choices(scenario):
    """Paths in a scenario's comments exist; ``key = "a"  # a | b`` lists exactly the allowed values."""
    problems = path_problems(scenario)
    table = ""
    for line in scenario.read_text(encoding="utf-8").splitlines():
        head = re.match(r"\s*\[+([\w.\"-]+)\]+", line)
        if head:
            table = head.group(1).replace('"', "")
            continue
        m = re.match(r"\s*([\w\"]+)\s*=.*#\s*([\w-]+(?:\s*\|\s*[\w-]+)+)\s*$", line)
        if not m or table == "sweep":
            continue
        key = f"{table}.{m.group(1)}".strip(".")
        allowed = _choices(key)
        listed = tuple(w.strip() for w in m.group(2).split("|"))
        if allowed is not None and set(listed) != set(allowed):
            problems.append(f"{rel(scenario)}: {key}: comment lists {listed}, the schema allows {allowed}")
    assert not problems, "\n".join(problems)


def test_readme_false_slash_figures_are_current(tmp_path):
    """The README's figures for the all-honest baseline at seed 2 are what the code gives now."""
    import json

    script = Path(sys.executable).with_name("gaia-sim")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "gaia_sim.cli"]
    proc = subprocess.run(
        cmd + ["run", "scenarios/baseline.toml", "--seed", "2", "--json", "--quiet", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)["summary"]
    text = re.sub(r"\s+", " ", README.read_text(encoding="utf-8"))
    tokens, rate = f"{summary['wrongly_slashed_total']:,.0f} tokens", f"{summary['flag_rate_honest']:.4f}"
    sentence = "gaia-sim run scenarios/baseline.toml --seed 2`: honest nodes slashed"
    assert sentence in text, "README.md no longer states the seed-2 baseline figures; update this test too"
    assert f"{sentence} {tokens}, honest guilty-verdict rate {rate} per probed" in text, (
        f"README.md: the seed-2 baseline now slashes honest nodes {tokens} at an honest guilty-verdict "
        f"rate of {rate}; update the paragraph after the worked example"
    )
