"""Detector page: what validators see. Each node of a domain of the current run answers the chosen
questions with the configuration its behaviour serves (answers drawn from the run's answer source:
the shipped bank for ``answers = "default"``); the
answers' embeddings are projected on two principal components (answer text on hover) and the
scenario's detector (``gaia_sim.assess``) gives each node a score and a p-value."""

from __future__ import annotations

from dash import Input, Output, State, dcc, html, no_update

from dashboard import data, figures
from dashboard.pages.network import current_run, last_epoch
from gaia_sim.errors import UserError


def layout(ctx):
    from gaia_sim.params import field_info

    samples = field_info("probes.samples_per_question")
    return html.Div(
        [
            html.Div(
                className="controls",
                children=[
                    _control("Questions", dcc.Dropdown(id="det-questions", multi=True, style={"width": "420px"})),
                    _control(
                        f"Samples per question (default {samples['default']})",
                        dcc.Input(id="det-samples", type="number", value=samples["default"], step=1),
                    ),
                    _control(
                        "Domain",
                        dcc.Dropdown(id="det-domain", value=0, options=[0], clearable=False, style={"width": "120px"}),
                    ),
                    _control(
                        "Behaviour",
                        dcc.RadioItems(
                            id="det-when",
                            value="behaviour_initial",
                            inline=True,
                            options=[
                                {"label": "at start", "value": "behaviour_initial"},
                                {"label": "at end", "value": "behaviour"},
                                {"label": "at the epoch below", "value": "epoch"},
                            ],
                        ),
                    ),
                    _control(
                        "Colour by",
                        dcc.RadioItems(id="det-colour", value="behaviour", inline=True, options=["behaviour", "node"]),
                    ),
                    html.Button("Draw answers and assess", id="det-go", n_clicks=0),
                ],
            ),
            html.Div(id="det-message", className="message"),
            html.Small(SCORE_NOTE, id="det-explain"),
            html.Div(className="grid2", children=[dcc.Graph(id="fig-pca"), dcc.Graph(id="fig-scores")]),
            html.Div(
                className="control",
                children=[
                    html.Label("Epoch: the verdicts the run recorded then"),
                    dcc.Slider(id="det-epoch", min=1, max=1, step=1, value=None, marks=None),
                ],
            ),
            html.Div(id="det-epoch-message", className="message"),
            dcc.Graph(id="fig-verdicts"),
            html.Small(VERDICTS_NOTE, id="explain-fig-verdicts", className="explain"),
        ]
    )


#: the recorded verdicts, in the catalogue's words (gaia_sim.metrics.CATALOGUE)
VERDICTS_NOTE = (
    "The verdicts of that epoch as the run recorded them (events.parquet: score, p-value, guilty or not); "
    + data.explain(["probed", "flagged", "wrongly_flagged"])
    + "."
)


#: why a node's score can fall when the samples rise (issue 17: shown on the page, not left to guess)
SCORE_NOTE = (
    "Score = -log10 of the node's p-value. The default detector calibrates each node against its peers "
    "in this draw (an empirical null across peers, gaia_sim.detector.default), so a score says how unusual "
    "a node is among these nodes, questions and samples; it is not comparable across draws: with more "
    "samples the peers' own spread is measured better too, and scores can fall. Compare nodes within one "
    "draw; flagged is the detector's decision at the scenario's alpha (docs/detector.md)."
)


def _control(label, component):
    return html.Div(className="control", children=[html.Label(label), component])


def register(app, ctx):
    _register_epoch(app, ctx)

    @app.callback(
        Output("det-questions", "options"),
        Output("det-questions", "value"),
        Output("det-domain", "options"),
        Output("det-domain", "value"),
        Input("tabs", "value"),
        State("det-questions", "value"),
        State("det-domain", "value"),
        State("current-run", "data"),
        prevent_initial_call=True,
    )
    def options(tab, chosen, domain, current):
        """Filled when the page is shown; setting the questions (re)draws from the run current then.
        The domain stays set (the first of the run's domains when the chosen one is not in it)."""
        if tab != "detector":
            return no_update, no_update, no_update, no_update
        result, _ = current_run(ctx, current)
        bank, _ = _bank(ctx, result)
        domains = sorted(int(d) for d in result.nodes["domain"].unique()) if result is not None else [0]
        domain = domain if domain in domains else domains[0] if domains else 0
        if bank is None:
            return [], [], domains, domain
        qs = list(bank.question_ids)
        return qs, chosen or qs[:3], domains, domain

    @app.callback(
        Output("fig-pca", "figure"),
        Output("fig-scores", "figure"),
        Output("det-message", "children"),
        Output("det-message", "className"),
        Input("det-go", "n_clicks"),
        Input("det-colour", "value"),
        Input("det-questions", "value"),
        State("det-samples", "value"),
        State("det-domain", "value"),
        State("det-when", "value"),
        State("det-epoch", "value"),
        State("current-run", "data"),
        prevent_initial_call=True,
    )
    def draw(_clicks, colour, questions, samples, domain, when, epoch, current):
        domain = 0 if domain is None else domain
        empty = (figures.fig_answer_pca(data.pd.DataFrame()), figures.fig_node_scores(data.pd.DataFrame()))
        result, label = current_run(ctx, current)
        bank, why = _bank(ctx, result)
        if bank is None:
            return (*empty, f"Detector page unavailable: {why}", "message error")
        if result is None or not questions:
            return (*empty, "Choose at least one question.", "message")
        try:
            points, scores = _view(ctx, bank, result, label, tuple(questions), samples, domain, when, epoch)
        except (UserError, ValueError, KeyError, TypeError, ImportError) as err:
            return (*empty, f"Could not assess: {type(err).__name__}: {err}", "message error")
        flagged = scores[scores["flagged"]]
        msg = (
            f"{label} (answers: {result.scenario.answers}): domain {domain}, {len(scores)} nodes, {len(questions)} questions x {samples} samples; "
            f"detector '{result.scenario.detector.name}' at alpha {result.scenario.detector.alpha:g} flags "
            f"{len(flagged)}: {', '.join(f'{n} ({b})' for n, b in zip(flagged['node'], flagged['behaviour'])) or 'none'}"
        )
        return (
            figures.fig_answer_pca(points, colour_by=colour),
            figures.fig_node_scores(scores, alpha=result.scenario.detector.alpha),
            msg,
            "message",
        )


def _register_epoch(app, ctx):
    @app.callback(
        Output("fig-verdicts", "figure"),
        Output("det-epoch-message", "children"),
        Output("det-epoch", "max"),
        Output("det-epoch", "value"),
        Input("tabs", "value"),
        Input("det-epoch", "value"),
        Input("det-domain", "value"),
        State("current-run", "data"),
        prevent_initial_call=True,
    )
    def verdicts(tab, epoch, domain, current):
        """The run's recorded verdicts of one epoch (the last when the page is shown)."""
        from dash import ctx as trigger

        if tab != "detector":
            return (no_update,) * 4
        result, label = current_run(ctx, current)
        if result is None:
            return figures.fig_node_scores(data.pd.DataFrame()), "No run yet.", 1, None
        last = last_epoch(result)
        epoch = min(epoch, last) if trigger.triggered_id in ("det-epoch", "det-domain") and epoch else last
        ids = result.nodes.loc[(result.nodes["role"] == "node") & (result.nodes["domain"] == (domain or 0)), "id"]
        scores = data.epoch_verdicts(result.events, ids, epoch)
        title = f"Recorded verdicts of epoch {epoch}"
        flagged = scores[scores["flagged"]]
        guilty = ", ".join(f"{n} ({b})" for n, b in zip(flagged["node"], flagged["behaviour"]))
        message = (
            f"{label}: epoch {epoch}/{last}, domain {domain or 0}: {len(scores)} verdicts, guilty: {guilty or 'none'}"
        )
        return figures.fig_node_scores(scores, result.scenario.detector.alpha, title), message, last, epoch


def _bank(ctx, result):
    """The answer source of the run shown (cached per source; an unavailable one is retried later)."""
    if result is None:
        return None, "no run to take the nodes from yet"
    spec = result.scenario.answers
    key = ("answers", spec)
    if key not in ctx.cache or ctx.cache[key][0] is None:
        ctx.cache[key] = data.load_answer_source(spec)
    return ctx.cache[key]


def _view(ctx, bank, result, label, questions, samples, domain, when, epoch=None):
    if not isinstance(samples, (int, float)) or samples < 1 or samples != int(samples):
        raise UserError(f"samples per question: a whole number >= 1 (got {samples!r})")
    key = ("detector", label, id(result), questions, int(samples), domain, when, epoch if when == "epoch" else None)
    if key not in ctx.cache:
        nodes = result.nodes[(result.nodes["role"] == "node") & (result.nodes["domain"] == domain)]
        if when == "epoch":
            nodes = data.nodes_at_epoch(nodes, result.events, epoch or last_epoch(result))
        else:
            nodes = nodes.assign(behaviour=nodes[when])
        ctx.cache[key] = data.detector_view(
            bank, result.scenario, nodes, list(questions), int(samples), seed=result.scenario.seed
        )
    return ctx.cache[key]
