"""First use and failure (issue 19): names validated at load, outputs checked before work, summaries
that explain themselves. Every CLI case runs ``gaia_sim.cli.main`` in-process and checks the exit
status, that stderr is one line with no traceback, and that nothing was simulated or written."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path
from typing import get_args

import pytest

from gaia_sim.cli import main
from gaia_sim.detector import DETECTORS
from gaia_sim.detector.sequential import MEMORIES
from gaia_sim.errors import UserError
from gaia_sim.params import DetectorName, EvidenceMemory
from gaia_sim.scenario import from_dict, load_scenario, parse_overrides

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
FAST = ["--set", 'answers="stand-in"', "--epochs", "2", "--quiet"]


def deterrence_to_json(path) -> list[str]:
    """``gaia-sim deterrence`` on a lazy mix with given rates (no calibration runs), numbers to ``path``."""
    given = ["--set", "population.honest=0.8", "--set", "population.lazy=0.2", "--tpr", "0.5", "--fpr", "0.001"]
    return ["deterrence", BASELINE, *given, "--json", str(path)]


def refused(capsys, argv: list[str], *words: str) -> str:
    """Run the CLI; it must exit 2 with one line on stderr that names each of ``words``."""
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and err.startswith("gaia-sim ")
    for word in words:
        assert word in err, err
    return err


def test_every_named_detector_is_in_the_schema():
    assert set(get_args(DetectorName)) == set(DETECTORS)
    assert set(get_args(EvidenceMemory)) == set(MEMORIES)


@pytest.mark.parametrize(
    "argv,words",
    [
        (["--set", 'detector.name="nonsense"'], ["detector.name", "median_rank"]),
        (["--set", 'detector.name="default'], ["--set", "not a TOML value"]),
        (["--set", "answers=no/such/bank"], ["answers", "stand-in"]),
        (["--set", "=3"], ["PATH=VALUE"]),
    ],
)
def test_bad_names_and_values_are_refused_before_any_work(capsys, tmp_path, argv, words):
    refused(capsys, ["run", BASELINE, "--out", str(tmp_path / "r"), *argv], *words)
    assert not (tmp_path / "r").exists()  # nothing simulated, nothing written


def test_bad_detector_in_a_scenario_file_and_a_sweep_axis(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[detector]\nname = "nonsense"\n')
    refused(capsys, ["run", str(bad), "--out", str(tmp_path / "r")], "bad.toml", "detector.name")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        f'[sweep]\nname = "s"\nbase = "{BASELINE}"\nmode = "grid"\n[axes]\n"detector.name" = ["default", "nonsense"]\n'
    )
    refused(capsys, ["sweep", str(sweep), "--out", str(tmp_path / "s"), "--serial"], "nonsense")


def test_a_scenario_name_cannot_escape_the_results_folder(capsys, tmp_path):
    bad = tmp_path / "esc.toml"
    bad.write_text('name = "../../escaped_name"\n')
    refused(capsys, ["run", str(bad), "--out", str(tmp_path / "r")], "name", "folder name")
    assert not any(tmp_path.parent.glob("escaped_name"))


def test_a_file_stem_with_odd_characters_becomes_a_safe_name(tmp_path):
    odd = tmp_path / "my scenario (v2).toml"
    odd.write_text("epochs = 2\n")
    assert load_scenario(odd).name == "my_scenario__v2_"


def test_bare_words_and_toml_values_in_set():
    assert parse_overrides(["a.b=1", "c=true", "d=stand-in", 'e="x y"', "f=some/dir"]) == {
        "a.b": 1,
        "c": True,
        "d": "stand-in",
        "e": "x y",
        "f": "some/dir",
    }
    for bad in ['x="open', "x=[1,", "x=a b", "noequals"]:
        with pytest.raises(UserError):
            parse_overrides([bad])


def test_a_file_in_the_way_of_the_results_folder(capsys, tmp_path):
    (tmp_path / "blocker").write_text("")
    refused(capsys, ["run", BASELINE, *FAST, "--out", str(tmp_path / "blocker" / "r")], "is a file, not a folder")
    refused(capsys, deterrence_to_json(tmp_path / "blocker" / "d.json"), "blocker")
    refused(capsys, ["evaluate", "--out", str(tmp_path / "blocker" / "e")], "blocker")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions; the simulated errors below cover it")
def test_a_read_only_results_folder(capsys, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        refused(capsys, ["run", BASELINE, *FAST, "--out", str(ro)], "not writable")
    finally:
        ro.chmod(0o755)


@pytest.mark.parametrize("code,words", [(errno.EROFS, "Read-only file system"), (errno.ENOSPC, "No space left")])
def test_read_only_or_full_disk_is_one_line_and_checked_first(capsys, tmp_path, monkeypatch, code, words):
    """A disk that refuses writes (read-only, full) fails at the up-front probe, before simulating."""
    import gaia_sim.runner as runner

    def refuse(self, *args, **kwargs):
        raise OSError(code, os.strerror(code), str(self))

    monkeypatch.setattr(Path, "write_bytes", refuse)
    monkeypatch.setattr(runner, "simulate", lambda *a, **k: pytest.fail("simulated before checking the folder"))
    refused(capsys, ["run", BASELINE, *FAST, "--out", str(tmp_path / "r")], words)


def test_a_write_failing_mid_way_is_one_line(capsys, tmp_path, monkeypatch):
    """The probe passed, then the disk filled up while writing the tables: one line, exit 2."""
    import gaia_sim.atomic as atomic

    def full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(atomic.os, "replace", full)
    refused(capsys, ["run", BASELINE, *FAST, "--out", str(tmp_path / "r")], "cannot write", "No space left")
    assert not [p for p in (tmp_path / "r").rglob("*.parquet")]  # nothing half-written


def test_an_unforeseen_os_error_is_one_line(capsys, monkeypatch):
    import gaia_sim.run_cli as run_cli

    def boom(path):
        raise PermissionError(errno.EACCES, "Permission denied", "/somewhere")

    monkeypatch.setattr(run_cli, "load_scenario", boom)
    assert main(["run", "x.toml"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "gaia-sim run: error: /somewhere: Permission denied"


def test_the_run_summary_reads_like_an_answer(capsys, tmp_path):
    argv = [
        "run",
        str(ROOT / "scenarios" / "lazy_nodes.toml"),
        "--set",
        'answers="stand-in"',
        "--epochs",
        "6",
        "--quiet",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    rows = [line.split()[0] for line in out.splitlines() if "->" in line and line.split()[1].isdigit()]
    assert rows == ["honest", "lazy"]  # only behaviours present in the run
    assert "nan" not in out.lower().replace("n/a", "") and " -1" not in out
    assert "tokens per node-epoch" in out and "per probed node-epoch" in out
    assert "What happened: " in out and "Closed form" in out
    assert main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [b["behaviour"] for b in doc["behaviours"]] == ["honest", "lazy"]
    assert doc["summary"]["settled_epoch"] is None or doc["summary"]["settled_epoch"] > 0
    assert doc["units"]["slashed_total"]["unit"] == "tokens" and doc["conclusion"]


def test_deterrence_explains_a_scenario_without_cheaters(capsys):
    refused(capsys, ["deterrence", BASELINE], "no cheaters", "population.lazy")


def test_bank_info_prints_no_raw_dict(capsys):
    assert main(["bank", "info"]) == 0
    out = capsys.readouterr().out
    assert "how it was built:" in out and "{" not in out


def test_evaluate_says_when_trials_are_too_few():
    from gaia_sim.evaluation import FEW_TRIALS, trials_note

    assert "--trials" in trials_note(1, 3, 30)
    assert trials_note(FEW_TRIALS, 3, 30) is None


def test_answers_must_name_a_source_or_an_existing_folder(tmp_path):
    with pytest.raises(UserError, match="answers"):
        from_dict({"answers": str(tmp_path / "missing")})
    assert from_dict({"answers": str(tmp_path)}).answers == str(tmp_path)


def test_a_sweep_checks_its_folder_and_name_before_any_cell(capsys, tmp_path):
    (tmp_path / "blocker").write_text("")
    claims = str(ROOT / "scenarios" / "sweeps" / "claims.toml")
    refused(capsys, ["sweep", claims, "--serial", "--out", str(tmp_path / "blocker" / "s")], "is a file, not a folder")
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f'[sweep]\nname = ".."\nbase = "{BASELINE}"\nmode = "grid"\n[axes]\nseed = [1, 2]\n')
    refused(capsys, ["sweep", str(sweep), "--serial"], "sweep.name")


def test_a_sample_budget_that_would_clone_honest_nodes_is_refused(capsys, tmp_path):
    """The shipped bank holds 64 answers per configuration and question: more than 32 samples per
    question would make nodes on one stack near-clones (e011), so the run is refused before it starts."""
    refused(
        capsys,
        ["run", BASELINE, "--set", "probes.samples_per_question=33", "--out", str(tmp_path)],
        "probes.samples_per_question = 33",
        "<= 32",
    )
    assert not list(tmp_path.rglob("*.parquet"))


def test_a_missing_parent_folder_is_created_not_a_traceback(capsys, tmp_path):
    out = tmp_path / "new" / "deeper" / "d.json"
    argv = deterrence_to_json(out)
    assert main(argv) == 0
    assert json.loads(out.read_text())["behaviour"] == "lazy"
