"""Recommend page: the outputs of ``gaia-sim recommend SCENARIO --out DIR`` found under
``<results>/recommend/*/recommendation.json``: the cheapest design found (the levers it sets), what each
attack the red team found earns under it (with intervals), its cost per epoch and the constraints it
meets. The list is re-read whenever the page is shown; with none, the page says how to make one."""

from __future__ import annotations

from pathlib import Path

from dash import Input, Output, State, dcc, html, no_update

from dashboard import data, figures
from gaia_sim.errors import UserError

#: shown while no recommendation is stored
NONE_YET = (
    "No recommendation yet: run gaia-sim recommend SCENARIO --out {root}/recommend/NAME "
    "(it writes recommendation.json and the design's scenario file there), then open this page again."
)


def layout(ctx):
    return html.Div(
        [
            html.Div(
                className="controls",
                children=[
                    html.Div(
                        className="control",
                        children=[
                            html.Label("Recommendation"),
                            dcc.Dropdown(id="rec-pick", options=[], style={"width": "420px"}),
                        ],
                    )
                ],
            ),
            html.Div(id="rec-message", className="message"),
            html.Div(id="rec-body"),
        ]
    )


def register(app, ctx):
    @app.callback(
        Output("rec-pick", "options"),
        Output("rec-pick", "value"),
        Output("rec-message", "children", allow_duplicate=True),
        Input("tabs", "value"),
        State("rec-pick", "value"),
        prevent_initial_call=True,
    )
    def list_recommendations(tab, picked):
        """The recommendations on disk now (re-read each time the page is shown)."""
        if tab != "recommend":
            return no_update, no_update, no_update
        found = [str(p) for p in data.find_recommendations(ctx.results_root)]
        if not found:
            return [], None, NONE_YET.format(root=ctx.results_root)
        options = [{"label": str(Path(p).parent.name), "value": p} for p in found]
        return options, picked if picked in found else found[-1], no_update

    @app.callback(
        Output("rec-body", "children"),
        Output("rec-message", "children"),
        Output("rec-message", "className"),
        Input("rec-pick", "value"),
        prevent_initial_call=True,
    )
    def show(path):
        if not path:
            return html.Div(), NONE_YET.format(root=ctx.results_root), "message"
        try:
            rec = data.read_recommendation(Path(path))
        except UserError as err:
            return html.Div(), str(err), "message error"
        return body(ctx, rec), f"{path}", "message"


def body(ctx, rec: dict):
    """The recommendation in words, tables and one figure."""
    attacks = data.attack_table(rec)
    passed = all(bool(c["passed"]) for c in rec["constraints"])
    deterred = bool(len(attacks)) and bool((attacks["ci_high"] < 0).all())
    cost = rec["cost"]
    headline = (
        f"Cost {_num(cost['total'])} tokens per epoch (capital {_num(cost['capital_per_epoch'])}, validators "
        f"{_num(cost['validator_per_epoch'])}); constraints: {'all met' if passed else 'NOT all met'}; "
        f"attacks: {'every one unprofitable (whole interval below 0)' if deterred else 'NOT all shown unprofitable'}."
    )
    return html.Div(
        [
            html.P(headline, id="rec-headline"),
            html.H4("Design (the levers it sets)"),
            _table(["parameter", "value", "unit", "what it is"], [_lever(p, v) for p, v in rec["design"].items()]),
            _design_file(ctx, rec),
            html.H4("Attacks the red team found"),
            _table(
                ["attack", "parameters", "profit over honest", "interval", "verdict", "stops paying if convicted"],
                [
                    [
                        r.name,
                        r.params,
                        _num(r.profit_over_honest),
                        f"[{_num(r.ci_low)}, {_num(r.ci_high)}]",
                        r.verdict,
                        r.break_even,
                    ]
                    for r in attacks.itertuples(index=False)
                ],
                "rec-attacks",
            ),
            dcc.Graph(id="fig-attacks", figure=figures.fig_attack_margins(attacks)),
            html.H4("Constraints"),
            _table(
                ["constraint", "value", "limit", "met"],
                [
                    [c["name"], _num(c["value"]), _num(c["limit"]), "yes" if c["passed"] else "NO"]
                    for c in rec["constraints"]
                ],
                "rec-constraints",
            ),
        ]
    )


def _lever(path: str, value) -> list:
    from gaia_sim.params import field_info

    try:
        info = field_info(path)
    except (KeyError, AttributeError):
        return [path, str(value), "", "not a parameter of this version's schema"]
    return [path, str(value), info["unit"], info["doc"]]


def _design_file(ctx, rec: dict):
    """The design's scenario file and how to run it; a link that opens it on the Run page when its base
    scenario file is one the page offers."""
    from urllib.parse import urlencode

    file = rec.get("scenario_file")
    if not file:
        return html.P("No scenario file beside recommendation.json.")
    parts = [html.Code(f"gaia-sim run {file}")]
    base = Path(ctx.scenarios_dir) / Path(file).name
    if base.exists():
        import json

        query = urlencode({"scenario": base.name, **{p: json.dumps(v) for p, v in rec["design"].items()}})
        parts += [" or ", html.A("open this design on the Run page", href=f"/?{query}", id="rec-open")]
    return html.P(["Run it: ", *parts])


def _table(headers: list[str], rows: list[list], ident: str | None = None):
    rows = [html.Tr([html.Th(h) for h in headers]), *[html.Tr([html.Td(str(c)) for c in row]) for row in rows]]
    return html.Table(rows, className="table", **({"id": ident} if ident else {}))


def _num(x) -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"
