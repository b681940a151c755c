"""Data for the dashboard's pages: results, sweeps, network layout, answer projections.

Reads only through the project's interfaces (``gaia_sim.results`` for runs, ``gaia_sim.sweep.store``
for sweep folders, ``gaia_sim.scenario``, ``gaia_sim.runner.load_answers`` and ``gaia_sim.assess``),
and turns them into the small tidy frames the pure ``figures.fig_*`` functions draw. No work at
import time; heavy or optional imports happen inside functions so a missing part degrades one page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd


# --------------------------------------------------------------------------- scenarios and results
def list_scenarios(scenarios_dir: Path) -> list[Path]:
    """Scenario files offered on the Run page: ``scenarios/*.toml`` (sweep files live in sweeps/)."""
    return sorted(Path(scenarios_dir).glob("*.toml"))


def baseline_run(results_root: Path, scenario_path: Path):
    """The run the dashboard opens on: the stored run of ``scenario_path`` (results/<name>/<hash>/), else run it now.

    Returns ``(RunResult, run_dir)``; a fresh run is written with ``results.write_run``.
    """
    from gaia_sim.results import read_run, stored_run, write_run
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    stored = stored_run(scenario, results_root)
    if stored is not None:
        return read_run(stored), stored
    print(f"gaia-sim dashboard: no results for {scenario_path}; running it once ...", flush=True)
    result = simulate(scenario)
    return result, write_run(result, root=results_root)


def latest_run(scenario, results_root: Path) -> Path | None:
    """The stored run of ``scenario``: ``results/<name>/<hash>/`` (as ``gaia-sim run`` writes it), else the
    newest dashboard run of the same design (``results/dashboard-runs/<run id>/<name>/<hash>/``; run ids
    start with their time, so the last in name order is the newest), else None."""
    from dashboard.jobs import RUNS_DIR
    from gaia_sim.results import stored_run

    found = stored_run(scenario, results_root)
    runs = Path(results_root) / RUNS_DIR
    if found is None and runs.is_dir():
        found = next(
            (d for d in (stored_run(scenario, r) for r in sorted(runs.iterdir(), reverse=True)) if d is not None),
            None,
        )
    return found


# --------------------------------------------------------------------------- sweeps
def find_sweeps(roots: list[Path]) -> list[Path]:
    """Sweep result directories under ``roots`` (gaia_sim.sweep.store.find_sweeps)."""
    from gaia_sim.sweep.store import find_sweeps as find

    return find(roots)


SWEEP_BOOKKEEPING = {
    "point",
    "replicate",
    "replication",
    "seed",
    "scenario_hash",
    "cell",
    "run",
    "epoch",
    "cell_wall_s",
    "cell_cpu_s",
}


def load_sweep(sweep_dir: Path) -> tuple[pd.DataFrame, list[str], list[str]]:
    """A sweep result: ``(rows, swept parameter columns, outcome columns)``.

    The dataset is ``results.parquet`` of a sweep directory (``gaia_sim.sweep.store``: one row per
    cell, parameters as columns), or any Parquet file / dataset directory. Swept parameters are the
    ``[axes]`` of the directory's ``sweep.toml`` (or the manifest's ``axes``), else the dotted
    columns (``group.field``) that take more than one value.
    """
    from gaia_sim.errors import UserError
    from gaia_sim.sweep import store

    sweep_dir = Path(sweep_dir)
    if not sweep_dir.exists():
        raise UserError(f"{sweep_dir}: no such sweep result (a directory written by `gaia-sim sweep`)")
    target = store.dataset_path(sweep_dir)
    if target is None:
        raise UserError(f"{sweep_dir}: no Parquet dataset found (expected results.parquet)")
    rows = _readable_tables(pd.read_parquet(target))
    params = [c for c in store.declared_axes(sweep_dir) if c in rows.columns] or [
        c for c in rows.columns if "." in c and rows[c].nunique() > 1
    ]
    numeric = rows.select_dtypes(include=[np.number, "bool"]).columns
    outcomes = [c for c in numeric if c not in set(params) | SWEEP_BOOKKEEPING and "." not in c]
    return rows, params, outcomes


def _readable_tables(rows: pd.DataFrame) -> pd.DataFrame:
    """Table-valued axes are stored as canonical JSON text; show them as ``key=value, ...`` labels."""
    out = rows.copy()
    for column in [c for c in rows.columns if pd.api.types.is_string_dtype(rows[c])]:
        values = rows[column].dropna().astype(str)
        if len(values) and values.str.startswith("{").all():
            out[column] = rows[column].map(_table_label)
    return out


def _table_label(text) -> str:
    try:
        table = json.loads(text)
    except (TypeError, ValueError):
        return str(text)
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in table.items() if v != 0)


# --------------------------------------------------------------------------- scenario discovery (gaia-sim report --discover)
def prim_path(sweep_dir: Path) -> Path:
    """Where ``gaia-sim report DIR --discover`` writes a sweep's PRIM boxes: ``DIR/report/prim.json``."""
    from gaia_sim.sweep.discovery import PRIM_JSON
    from gaia_sim.sweep.report import REPORT_DIR

    return Path(sweep_dir) / REPORT_DIR / PRIM_JSON


def sweep_discovery(sweep_dir: Path) -> dict | None:
    """The sweep's PRIM boxes where cheating pays (:func:`prim_path`), read and checked by
    ``gaia_sim.sweep.discovery.read_discovery`` (a malformed file raises its UserError); None when the
    sweep has none."""
    from gaia_sim.sweep.discovery import read_discovery

    path = prim_path(sweep_dir)
    return read_discovery(path) if path.is_file() else None


def prim_table(doc: dict) -> pd.DataFrame:
    """One row per box of a prim.json: its limits in each parameter some box restricts (``low to high``,
    the values kept, or ``any``), coverage, density, mass, the cells where cheating pays of the box's
    cells, and whether its density reaches the target (``parameters.min_density``)."""
    params = list(dict.fromkeys(p for box in doc["boxes"] for p in box["limits"]))
    target = doc["parameters"]["min_density"]
    met = f"density >= {target:g}"
    rows = [
        {
            "box": box["id"],
            **{p: _limit_cell(box["limits"].get(p)) for p in params},
            **{k: f"{box[k]:.2f}" for k in ("coverage", "density", "mass")},
            "cells paying / in box": f"{box['k']} / {box['n']}",
            met: "yes" if box["meets_density"] else "no (the densest box found)",
        }
        for box in doc["boxes"]
    ]
    return pd.DataFrame(rows, columns=["box", *params, "coverage", "density", "mass", "cells paying / in box", met])


def _limit_cell(limit) -> str:
    if limit is None:
        return "any"
    if isinstance(limit, dict):
        return f"{limit['low']:.3g} to {limit['high']:.3g}"
    return ", ".join(map(str, limit))


def network_graph(
    nodes: pd.DataFrame, events: pd.DataFrame, seed: int = 0, max_probe_edges: int = 2000
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Vertices and edges of the domain graph with a networkx spring layout (fixed seed).

    Operator sets (one per domain) join their validators and nodes; validators join the nodes they
    probed or judged (events with both ids); members of one collusion ring are joined in a cycle
    (``ring``) and colluding validators of their domain to each member (``shield``).
    Returns frames in the shape :func:`dashboard.figures.fig_network` draws.
    """
    import networkx as nx

    g = nx.Graph()
    vertices = []
    for domain in sorted(nodes["domain"].unique()) if not nodes.empty else []:
        key = f"set{domain}"
        g.add_node(key)
        vertices.append(
            dict(
                id=key,
                kind="operator_set",
                behaviour="operator set",
                status="",
                slashed=False,
                label=f"operator set of domain {domain}",
            )
        )
    for row in nodes.itertuples(index=False):
        key = _vertex_key(row.role, row.id)
        g.add_edge(key, f"set{row.domain}", kind="member")
        vertices.append(
            dict(
                id=key,
                kind=row.role,
                behaviour=row.behaviour,
                status=row.status,
                slashed=bool(row.slashed_total > 0),
                label=(
                    f"{row.role} {row.id} (domain {row.domain})<br>behaviour {row.behaviour}"
                    f" (started {row.behaviour_initial})<br>status {row.status}<br>stake "
                    f"{row.stake:.4g}, balance {row.balance:.4g} (end of run)<br>slashed {row.slashed_total:.4g}"
                    + (f"<br>ring {row.ring}" if row.ring >= 0 else "")
                ),
            )
        )
    for u, v in _probe_pairs(events, max_probe_edges):
        if g.has_node(u) and g.has_node(v):
            g.add_edge(u, v, kind="probe")
    for u, v in _probe_pairs(
        events[events["flagged"] & (events["kind"] == "verdict")] if not events.empty else events, max_probe_edges
    ):
        if g.has_node(u) and g.has_node(v):
            g.add_edge(u, v, kind="guilty verdict")
    from gaia_sim.validators import validators_with_trait

    rings = nodes[nodes["ring"] >= 0].groupby("ring") if not nodes.empty else []
    for _, members in rings:
        keys = [_vertex_key(r, i) for r, i in zip(members["role"], members["id"])]
        g.add_edges_from(((a, b) for a, b in zip(keys, keys[1:] + keys[:1]) if a != b), kind="ring")
        shields = nodes[
            (nodes["role"] == "validator")
            & nodes["behaviour"].isin(validators_with_trait("colludes"))
            & nodes["domain"].isin(members["domain"])
        ]
        g.add_edges_from(((f"v{v}", k) for v in shields["id"] for k in keys), kind="shield")
    return _positions(g, pd.DataFrame(vertices), seed)


def _vertex_key(role: str, ident) -> str:
    return f"{'v' if role == 'validator' else 'n'}{ident}"


def _probe_pairs(events: pd.DataFrame, limit: int) -> list[tuple[str, str]]:
    if events.empty:
        return []
    probes = events[events["kind"].isin(["probe", "verdict"]) & (events["node"] >= 0) & (events["validator"] >= 0)]
    pairs = probes[["validator", "node"]].drop_duplicates().head(limit)
    return [(f"v{v}", f"n{n}") for v, n in zip(pairs["validator"], pairs["node"])]


def _positions(g, vertices: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    import networkx as nx

    if vertices.empty:
        return vertices, pd.DataFrame(columns=["x0", "y0", "x1", "y1", "kind"])
    pos = nx.spring_layout(g, seed=seed, iterations=60)
    vertices = vertices.assign(x=[pos[k][0] for k in vertices["id"]], y=[pos[k][1] for k in vertices["id"]])
    edges = pd.DataFrame(
        [
            dict(x0=pos[u][0], y0=pos[u][1], x1=pos[v][0], y1=pos[v][1], kind=d["kind"])
            for u, v, d in g.edges(data=True)
        ],
        columns=["x0", "y0", "x1", "y1", "kind"],
    )
    return vertices, edges


# --------------------------------------------------------------------------- answers and detector
def pca_2d(x: np.ndarray) -> np.ndarray:
    """Project rows of ``x`` on their first two principal components (centred SVD; Jolliffe 2002, ch. 1).

    Signs are fixed so the largest-magnitude loading of each component is positive (deterministic).
    """
    x = np.asarray(x, dtype=float)
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    comps = vt[:2]
    signs = np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(axis=1)])
    out = centred @ (comps * signs[:, None]).T
    return out if out.shape[1] == 2 else np.column_stack([out, np.zeros(len(out))])


def deterrence_boundary(
    rows: pd.DataFrame, x: str | None, y: str | None, sweep_dir, resolution: int = 60
) -> tuple[pd.DataFrame | None, str]:
    """The analytic deterrence margin over the ``x`` x ``y`` plane of a sweep, for the boundary overlay.

    For each point of a ``resolution``-square grid spanning the swept ranges, the sweep's base
    scenario (``manifest.json: base_scenario``) with ``x`` and ``y`` overridden is turned into the
    closed-form condition by ``gaia_sim.deterrence.from_scenario`` (Proof of Sampling, Zhang et al.
    arXiv 2405.00295, extended with slashing, false positives and quorum); the boundary is the zero
    contour of its ``margin``. Detector rates: the sweep's mean ``tpr_cheaters`` and
    ``flag_rate_honest`` when recorded, else power 0 (pessimistic) and the scenario's alpha.
    Returns ``(frame with columns x, y, margin, or None, note for the page)``.
    """
    try:
        from gaia_sim import deterrence
        from gaia_sim.runner import load_answers
        from gaia_sim.scenario import load_scenario
        from gaia_sim.sweep import store
    except ImportError as err:
        return None, f"Analytic deterrence boundary unavailable ({err})."
    numeric = [pd.api.types.is_numeric_dtype(rows[c]) and not pd.api.types.is_bool_dtype(rows[c]) for c in (x, y) if c]
    if not x or not y or x == y or not all(numeric):
        return None, "Analytic deterrence boundary: choose two different numeric swept parameters."
    base = store.base_scenario_path(sweep_dir)
    if base is None:
        return None, "Analytic deterrence boundary: the sweep's manifest names no base scenario file found here."
    try:
        scenario = load_scenario(base).with_overrides(
            store.read_manifest(sweep_dir).get("fixed") or {}, source="sweep fixed"
        )
        answers = load_answers(scenario.answers)
        tpr, fpr = _measured_rates(rows)
        xs = np.linspace(rows[x].min(), rows[x].max(), resolution)
        ys = np.linspace(rows[y].min(), rows[y].max(), resolution)
        margin = [
            [
                _margin(deterrence, scenario, answers, {x: _like(scenario, x, a), y: _like(scenario, y, b)}, tpr, fpr)
                for a in xs
            ]
            for b in ys
        ]
    except Exception as err:  # a parameter the condition does not depend on, a missing bank, ...
        return None, f"Analytic deterrence boundary: not drawn ({type(err).__name__}: {err})."
    grid = pd.DataFrame([dict(x=a, y=b, margin=m) for b, row in zip(ys, margin) for a, m in zip(xs, row)])
    if not ((grid["margin"] > 0).any() and (grid["margin"] < 0).any()):
        side = "deters everywhere" if (grid["margin"] >= 0).all() else "deters nowhere"
        return grid, f"Analytic deterrence condition {side} on this plane (no boundary to draw); base {base}."
    measured = "tpr_cheaters" in rows and not rows["tpr_cheaters"].isna().all()
    rates = f"tpr {tpr:.3g} (measured)" if measured else "tpr 0 (no measured power: pessimistic)"
    rates += f", fpr {fpr:.3g} (measured)" if fpr is not None else ", fpr = alpha"
    return grid, f"Dashed line: analytic deterrence boundary (gaia_sim.deterrence, base {base}, {rates})."


def _measured_rates(rows: pd.DataFrame) -> tuple[float, float | None]:
    tpr = rows["tpr_cheaters"].mean() if "tpr_cheaters" in rows else np.nan
    fpr = rows["flag_rate_honest"].mean() if "flag_rate_honest" in rows else np.nan
    # no measured power: assume none (pessimistic); no measured false flags: the detector's alpha
    return (0.0 if np.isnan(tpr) else float(tpr)), (None if np.isnan(fpr) else float(fpr))


def _like(scenario, path: str, value: float):
    """``value`` as the schema type of ``path`` (ints rounded)."""
    current = scenario.to_dict()
    for part in path.split("."):
        current = current[part]
    return int(round(value)) if isinstance(current, int) and not isinstance(current, bool) else float(value)


def _margin(deterrence, scenario, answers, overrides, tpr, fpr) -> float:
    return float(deterrence.from_scenario(scenario.with_overrides(overrides), answers, tpr=tpr, fpr=fpr).margin)


def load_answer_source(spec: str = "default"):
    """The answer source a run used (its scenario's ``answers`` key: ``"default"`` is the shipped bank,
    ``load_default_bank``), or ``(None, reason)`` while it is not available."""
    try:
        from gaia_sim.runner import load_answers

        return load_answers(spec), ""
    except Exception as err:  # ImportError until it lands; a missing/unfinished bank raises UserError
        return None, f"the answer source {spec!r} is not available ({type(err).__name__}: {err})"


def served_roles(scenario, behaviours: list[str], rng: np.random.Generator, bank) -> list[str | None]:
    """Bank role each node serves to a probe, from its behaviour's ``ServingPlan`` (gaia_sim.nodes).

    Honest stack variation: each node's stack is drawn as the model draws it
    (:func:`gaia_sim.nodes.draw_stack`). With indistinguishable probes a node cheats on a probe
    with its plan's ``cheat_rate``.
    """
    from gaia_sim.nodes import NODE_BEHAVIOURS, NodeContext, draw_stack

    variants = list(bank.roles.get("honest_variants") or [])
    roles = []
    for name in behaviours:
        stack = draw_stack(rng, variants, scenario.behaviours.honest.stack_variation)
        plan = NODE_BEHAVIOURS[name]().plan(NodeContext(stack_role=stack, params=scenario))
        cheat = scenario.traffic.probes_distinguishable or rng.random() < plan.cheat_rate
        roles.append(
            plan.probe_role
            if scenario.traffic.probes_distinguishable
            else (plan.user_role if cheat else plan.honest_role)
        )
    return roles


def _config_of(bank, role: str) -> str:
    """Config id of a role, or of an honest variant's stack (already a config id)."""
    return role if role in (bank.roles.get("honest_variants") or []) else bank.role_config(role)


def detector_view(
    bank, scenario, nodes: pd.DataFrame, questions: list[str], samples: int, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fresh answers from the bank for each node of ``nodes`` and the detector's verdict on them.

    Returns ``(points, scores)``: ``points`` has one row per answer (pc1, pc2 of the embeddings
    centred per question, node, behaviour, question, text); ``scores`` one row per node (node,
    behaviour, score, p_value, flagged) from ``gaia_sim.assess`` with the scenario's detector and
    alpha. An illustration of what validators see, not a replay of the run's probes.
    """
    from gaia_sim import assess

    rng = np.random.default_rng(seed)
    behaviours = nodes["behaviour"].astype(str).tolist()
    roles = served_roles(scenario, behaviours, rng, bank)
    emb = np.full((len(nodes), len(questions), samples, bank.dim), np.nan, dtype=np.float32)
    rows = []
    for i, (node, behaviour, role) in enumerate(zip(nodes["id"], behaviours, roles)):
        for j, q in enumerate(questions):
            if role is None:
                continue
            draw = bank.draw(_config_of(bank, role), q, samples, rng)
            emb[i, j] = draw.embeddings
            rows += [
                dict(node=int(node), behaviour=behaviour, question=q, text=t, i=i, j=j, k=k)
                for k, t in enumerate(draw.texts)
            ]
    verdict = assess(emb, alpha=scenario.detector.alpha, detector=scenario.detector.name)
    scores = pd.DataFrame(
        dict(
            node=nodes["id"].astype(int).to_numpy(),
            behaviour=behaviours,
            score=np.asarray(verdict.score, float),
            p_value=np.asarray(verdict.p_value, float),
            flagged=np.asarray(verdict.flagged, bool),
            served=[r or "none" for r in roles],
        )
    )
    points = pd.DataFrame(rows)
    if points.empty:
        return points, scores
    vecs = emb[points["i"], points["j"], points["k"]].astype(float)
    vecs -= pd.DataFrame(vecs).groupby(points["j"].to_numpy()).transform("mean").to_numpy()
    xy = pca_2d(vecs)
    return points.assign(pc1=xy[:, 0], pc2=xy[:, 1]).drop(columns=["i", "j", "k"]), scores


# --------------------------------------------------------------------------- the margin before a run
#: epochs whose verdicts give a stored run's detector rates (as the run summary's closed-form line)
EARLY_EPOCHS = 5


@dataclass(frozen=True)
class DetectorRates:
    """What the closed form assumes of the detector, and where it comes from."""

    tpr: float  # guilty verdicts per probe of a cheater
    fpr: float | None  # guilty verdicts per probe of an honest node (None: the detector's alpha)
    slash_share: float  # share of guilty verdicts that slash (evidence_threshold rule)
    source: str
    measured: bool


#: no measured power: assume none (pessimistic), false flags at alpha, no verdict reaching the evidence threshold
ASSUMED = DetectorRates(
    0.0, None, 0.0, "assumed, none measured for this scenario: power 0 (pessimistic), false flags at alpha", False
)


def run_rates(result, where: str) -> DetectorRates | None:
    """Guilty-verdict rates of a stored run's first epochs (gaia_sim.outcomes.early_rates) and the share
    of cheaters' guilty verdicts that slashed; None when the run judged nobody."""
    from gaia_sim.nodes import with_trait
    from gaia_sim.outcomes import early_rates

    tpr, fpr = early_rates(result, EARLY_EPOCHS)
    if np.isnan(tpr) and np.isnan(fpr):
        return None
    steps = result.steps
    cheaters = steps[(steps["role"] == "node") & steps["behaviour"].isin(with_trait("cheats"))]
    flagged = cheaters["flagged"].sum()
    share = float(min(1.0, cheaters["slashed_count"].sum() / flagged)) if flagged > 0 else 0.0
    no_power = " (no cheater judged: power 0, pessimistic)" if np.isnan(tpr) else ""
    return DetectorRates(
        0.0 if np.isnan(tpr) else float(tpr),
        None if np.isnan(fpr) else float(fpr),
        share,
        f"measured in {where}, first {EARLY_EPOCHS} epochs{no_power}",
        True,
    )


def sweep_rates(sweep_dir: Path) -> DetectorRates | None:
    """Mean recorded ``tpr_cheaters`` / ``flag_rate_honest`` over a sweep's cells, None if not recorded."""
    from gaia_sim.sweep import store

    rows = pd.read_parquet(store.dataset_path(sweep_dir))
    if "tpr_cheaters" not in rows or rows["tpr_cheaters"].isna().all():
        return None
    tpr, fpr = _measured_rates(rows)
    return DetectorRates(tpr, fpr, 0.0, f"mean of the sweep {sweep_dir} over its cells", True)


def find_rates(design, scenario_file, results_root: Path, sweep_roots: list[Path], read) -> DetectorRates:
    """Detector rates for the design on the Run page: this design's stored run, else the stored run of
    its scenario file as saved, else a sweep of that file, else :data:`ASSUMED`. ``read(run_dir)`` reads
    a run (the page passes a cached reader)."""
    from gaia_sim.scenario import load_scenario
    from gaia_sim.sweep import store

    saved = load_scenario(scenario_file)
    runs = [(latest_run(design, results_root), "this design's stored run")]
    if saved.hash != design.hash:
        runs.append((latest_run(saved, results_root), f"the stored run of {Path(scenario_file).name} as saved"))
    for run_dir, what in runs:
        rates = run_rates(read(run_dir), f"{what} ({run_dir})") if run_dir is not None else None
        if rates is not None:
            return rates
    for sweep_dir in find_sweeps(sweep_roots):
        base = store.base_scenario_path(sweep_dir)
        if base is not None and base.resolve() == Path(scenario_file).resolve():
            rates = sweep_rates(sweep_dir)
            if rates is not None:
                return rates
    return ASSUMED


def design_deterrence(design, answers, rates: DetectorRates):
    """``(cheating behaviour, gaia_sim.deterrence.Deterrence)`` of the design with these detector rates:
    margin, smallest deterring stake, participation margin and stake band, all closed form."""
    from gaia_sim import deterrence

    behaviour = deterrence.main_cheater(design)
    d = deterrence.from_scenario(
        design,
        answers,
        behaviour,
        tpr=rates.tpr,
        fpr=rates.fpr,
        verdict_rates=rates.measured,
        slash_share=rates.slash_share,
    )
    return behaviour, d


# --------------------------------------------------------------------------- export
#: the run's tables, as results/<name>/<hash>/ holds them
RUN_TABLES = ("steps", "events", "nodes", "network")


def run_tables_zip(result, fmt: str) -> bytes:
    """A zip of the run's tables (``RUN_TABLES``) as ``csv`` or ``parquet`` files, plus the scenario file."""
    import io
    import zipfile

    from gaia_sim.scenario import to_toml

    if fmt not in ("csv", "parquet"):
        raise ValueError(f"tables as csv or parquet (got {fmt!r})")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in RUN_TABLES:
            table = getattr(result, name)
            archive.writestr(f"{name}.{fmt}", table.to_csv(index=False) if fmt == "csv" else table.to_parquet())
        archive.writestr("scenario.toml", to_toml(result.scenario, f"gaia-sim run of {result.scenario.hash}"))
    return buffer.getvalue()


def figures_html(figs, title: str) -> str:
    """One self-contained HTML page of ``figs`` (plotly.js inlined once: opens with no network)."""
    parts = [f.to_html(full_html=False, include_plotlyjs=i == 0) for i, f in enumerate(figs)]
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{''.join(parts)}</body></html>"


def design_query(design, saved, scenario_file) -> str:
    """The URL query of a design: its scenario file and the parameters that differ from the file's."""
    from urllib.parse import urlencode

    from gaia_sim.params import leaf_paths

    mine, theirs = design.to_dict(), saved.to_dict()
    changed = {p: _at(mine, p) for p in leaf_paths() if _at(mine, p) != _at(theirs, p)}
    return "?" + urlencode({"scenario": Path(scenario_file).name, **{p: json.dumps(v) for p, v in changed.items()}})


def read_query(search: str | None) -> dict:
    """``{"scenario": file name, "overrides": {path: value}}`` from a URL query written by :func:`design_query`."""
    from urllib.parse import parse_qsl

    pairs = dict(parse_qsl((search or "").lstrip("?")))
    overrides = {}
    for path, text in pairs.items():
        if path != "scenario":
            try:
                overrides[path] = json.loads(text)
            except ValueError:
                overrides[path] = text
    return {"scenario": pairs.get("scenario"), "overrides": overrides}


def _at(values: dict, path: str):
    for part in path.split("."):
        values = values[part]
    return values


# --------------------------------------------------------------------------- explain; the network at an epoch
def explain(columns) -> str:
    """One line per metric from the metric catalogue (gaia_sim.metrics.CATALOGUE): ``name [unit]: description``."""
    from gaia_sim.metrics import CATALOGUE

    return "; ".join(f"{c} [{CATALOGUE[c][0]}]: {CATALOGUE[c][1]}" for c in columns)


#: ledger events that change a node's status, and the status they leave it in
STATUS_AFTER = {"jail": "jailed", "eject": "ejected", "exit_start": "exited", "exited": "exited", "enter": "active"}


def nodes_at_epoch(nodes: pd.DataFrame, events: pd.DataFrame, epoch: int) -> pd.DataFrame:
    """The run's nodes as they were during ``epoch``, read back from its events: behaviour (as last
    probed or judged by then, else the initial one), status (the last ledger event by then; a jail
    lasts its recorded number of epochs), stake slashed so far. Validators as at the end of the run."""
    ev = events[events["epoch"] <= epoch] if not events.empty else events
    is_node = nodes["role"] == "node"
    out = nodes.copy()
    if ev.empty:
        out.loc[is_node, ["behaviour", "status", "slashed_total"]] = [None, "active", 0.0]
        out.loc[is_node, "behaviour"] = nodes.loc[is_node, "behaviour_initial"]
        return out
    seen = ev[ev["kind"].isin(["probe", "verdict"])].sort_values("epoch", kind="stable").groupby("node")["behaviour"]
    out.loc[is_node, "behaviour"] = nodes.loc[is_node, "id"].map(seen.last()).fillna(nodes["behaviour_initial"])
    slashed = ev[ev["kind"] == "slash"].groupby("node")["amount"].sum()
    out.loc[is_node, "slashed_total"] = nodes.loc[is_node, "id"].map(slashed).fillna(0.0).to_numpy()
    ledger = ev[ev["kind"].isin(list(STATUS_AFTER))].sort_values("epoch", kind="stable").groupby("node").last()
    out.loc[is_node, "status"] = [_status(ledger, i, epoch) for i in nodes.loc[is_node, "id"]]
    return out


def _status(ledger: pd.DataFrame, node: int, epoch: int) -> str:
    if node not in ledger.index:
        return "active"
    last = ledger.loc[node]
    if last["kind"] == "jail" and epoch >= last["epoch"] + last["amount"]:
        return "active"
    return STATUS_AFTER[last["kind"]]


def epoch_verdicts(events: pd.DataFrame, node_ids, epoch: int) -> pd.DataFrame:
    """The verdicts of ``epoch`` on ``node_ids`` as recorded in the run (node, behaviour, score, p_value,
    flagged, validator): the frame :func:`dashboard.figures.fig_node_scores` draws."""
    if events.empty:
        return pd.DataFrame(columns=["node", "behaviour", "score", "p_value", "flagged", "validator"])
    v = events[(events["kind"] == "verdict") & (events["epoch"] == epoch) & events["node"].isin(list(node_ids))]
    return v[["node", "behaviour", "score", "p_value", "flagged", "validator"]].reset_index(drop=True)


# --------------------------------------------------------------------------- recommendations (gaia-sim recommend)
#: where the dashboard looks for ``gaia-sim recommend SCENARIO --out DIR`` outputs, under the results root
RECOMMEND_DIR = "recommend"
#: keys of recommendation.json and, for list/table values, the keys of each entry
RECOMMENDATION_KEYS = {
    "design": None,
    "attacks": ("name", "params", "profit_over_honest", "ci_low", "ci_high"),
    "cost": ("capital_per_epoch", "validator_per_epoch", "total"),
    "constraints": ("value", "limit", "pass"),
}


def find_recommendations(results_root: Path) -> list[Path]:
    """``<results>/recommend/*/recommendation.json`` files, newest folder name last."""
    root = Path(results_root) / RECOMMEND_DIR
    return sorted(root.glob("*/recommendation.json")) if root.is_dir() else []


def read_recommendation(path: Path) -> dict:
    """A recommendation.json as ``gaia-sim recommend`` writes it (``recommend.as_json``), checked:
    ``design`` (parameter path -> value), ``attacks`` (each name, params, profit_over_honest, ci_low,
    ci_high), ``cost`` (capital_per_epoch, validator_per_epoch, total), ``constraints`` (constraint
    name -> value, limit, pass), returned as a list of {name, value, limit, passed}. Also
    ``scenario_file``: the design's scenario file beside it, or None. Raises UserError naming the
    file and the key."""
    from gaia_sim.errors import UserError

    path = Path(path)
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: not a readable recommendation ({err})") from None
    if not isinstance(rec, dict):
        raise UserError(f"{path}: expected a JSON object with keys {', '.join(RECOMMENDATION_KEYS)}")
    for key, fields in RECOMMENDATION_KEYS.items():
        if key not in rec:
            raise UserError(f"{path}: key '{key}' missing; a recommendation has {', '.join(RECOMMENDATION_KEYS)}")
        if key == "constraints" and not isinstance(rec[key], dict):
            raise UserError(f"{path}: 'constraints' must map each constraint's name to its value, limit and pass")
        named = rec[key].items() if key == "constraints" else None
        entries = [v for _, v in named] if named else rec[key] if isinstance(rec[key], list) else [rec[key]]
        if not all(isinstance(e, dict) for e in entries):
            raise UserError(f"{path}: '{key}' must hold objects")
        names = [k for k, _ in named] if named else None
        for i, entry in enumerate(entries):
            missing = [f for f in fields or () if f not in entry]
            if missing:
                where = f"{key}.{names[i]}" if names else f"{key}[{i}]" if isinstance(rec[key], list) else key
                raise UserError(f"{path}: {where}: missing {', '.join(missing)}; needs {', '.join(fields)}")
    constraints = [
        {"name": k, "value": c["value"], "limit": c["limit"], "passed": bool(c["pass"])}
        for k, c in rec["constraints"].items()
    ]
    tomls = sorted(path.parent.glob("*.toml"))
    return {**rec, "constraints": constraints, "scenario_file": str(tomls[0]) if tomls else None}


def attack_table(rec: dict) -> pd.DataFrame:
    """One row per attack the red team found: profit over honest with its interval and what it means
    (``unprofitable`` only when the whole interval is below 0: pessimistic; an interval end the file
    holds as null, e.g. from a single seed, counts as unbounded). An attack that gains at most the
    search's ``--tolerance`` even if never convicted (``if_never_convicted``) is also called
    immaterial, as ``recommend`` passed it."""
    rows = pd.DataFrame(rec["attacks"], columns=list(RECOMMENDATION_KEYS["attacks"]))
    rows["params"] = [json.dumps(p, sort_keys=True) if isinstance(p, dict) else str(p) for p in rows["params"]]
    rows["profit_over_honest"] = pd.to_numeric(rows["profit_over_honest"], errors="coerce")
    rows["ci_low"] = pd.to_numeric(rows["ci_low"], errors="coerce").fillna(-np.inf)
    rows["ci_high"] = pd.to_numeric(rows["ci_high"], errors="coerce").fillna(np.inf)
    from gaia_sim.sweep.cli_recommend import break_even_text
    from gaia_sim.sweep.redteam import within_tolerance

    tolerance = float((rec.get("settings") or {}).get("tolerance") or 0.0)
    never = [a.get("if_never_convicted") for a in rec["attacks"]]
    rows["immaterial"] = [hi >= 0 and within_tolerance(n, tolerance) for hi, n in zip(rows["ci_high"], never)]
    rows["verdict"] = [
        ("unprofitable" if hi < 0 else "PROFITABLE" if lo > 0 else "uncertain (interval spans 0)")
        + (f"; immaterial (at most {n:+.3f} if never convicted; tolerance {tolerance:g})" if grey else "")
        for lo, hi, n, grey in zip(rows["ci_low"], rows["ci_high"], never, rows["immaterial"])
    ]
    rows["break_even"] = [break_even_text(a) for a in rec["attacks"]]  # as recommend prints it
    return rows


# --------------------------------------------------------------------------- compare pinned runs and slices
def _flat(values: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def differing(items: list[dict]) -> list[str]:
    """Dotted keys whose values are not the same in all of ``items`` (nested dicts, e.g.
    ``Scenario.to_dict()``), in the order of the first item."""
    flat = [_flat(i) for i in items]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    return [k for k in keys if len({json.dumps(f.get(k), sort_keys=True, default=str) for f in flat}) > 1]


def compare_labels(items: list[dict]) -> list[str]:
    """One label per item: ``#n`` and the values of the keys that differ between the items
    (``#2 staking.node_stake=250, epochs=60``); identical items keep their number alone."""
    keys = differing(items)
    labels = []
    for n, item in enumerate(items, 1):
        flat = _flat(item)
        what = ", ".join(f"{k}={flat.get(k, 'n/a')}" for k in keys)
        labels.append(f"#{n} {what}".strip())
    return labels
