"""The five node behaviours of the model. Each cites where the threat it models is described."""

from __future__ import annotations

from gaia_sim.nodes.base import NodeBehaviour, NodeContext, ServingPlan, register

_PAPER = "Trust, but verify (arXiv 2504.13443), sec. 1-2: threats to a permissionless Gaia domain"


@register
class Honest(NodeBehaviour):
    """Runs the claimed model and knowledge base on its own hardware/software stack."""

    name = "honest"
    traits = {"cheats": False, "colludes": False, "skips_kb": False}
    source = _PAPER

    def plan(self, ctx: NodeContext) -> ServingPlan:
        return ServingPlan(ctx.stack_role, ctx.stack_role, ctx.stack_role)


@register
class Lazy(NodeBehaviour):
    """Skips inference: replays one cached answer, truncates, refuses, or drops the request."""

    name = "lazy"
    traits = {"cheats": True, "colludes": False, "skips_kb": False}
    source = _PAPER + " (lazy nodes returning cached or low-effort answers)"

    def plan(self, ctx: NodeContext) -> ServingPlan:
        knobs = ctx.params.behaviours.lazy
        role = None if knobs.mode == "missing" else f"lazy_{knobs.mode}"
        return ServingPlan(ctx.stack_role, role, role, knobs.skip_rate)


@register
class Colluding(NodeBehaviour):
    """A ring member: all members run one cheap model; colluding validators vote to shield them."""

    name = "colluding"
    traits = {"cheats": True, "colludes": True, "skips_kb": False}
    source = _PAPER + " (collusion among nodes and validators)"

    def plan(self, ctx: NodeContext) -> ServingPlan:
        role = ctx.params.behaviours.colluding.ring_model
        return ServingPlan(ctx.stack_role, role, role)


@register
class ModelSwapping(NodeBehaviour):
    """Claims one model and serves a cheaper one, always or only when it believes it is not probed."""

    name = "model_swapping"
    traits = {"cheats": True, "colludes": False, "skips_kb": False}
    source = _PAPER + " (a node running a smaller or quantized model than it claims)"

    def plan(self, ctx: NodeContext) -> ServingPlan:
        knobs = ctx.params.behaviours.model_swapping
        if knobs.when == "always":
            return ServingPlan(ctx.stack_role, knobs.swap_to, knobs.swap_to)
        return ServingPlan(ctx.stack_role, knobs.swap_to, ctx.stack_role, knobs.cheat_rate)


@register
class KbSwapping(NodeBehaviour):
    """Serves the claimed model with a wrong or no knowledge base (skips retrieval)."""

    name = "kb_swapping"
    traits = {"cheats": True, "colludes": False, "skips_kb": True}
    source = _PAPER + " (knowledge-base experiment: a node with the wrong or no KB)"

    def plan(self, ctx: NodeContext) -> ServingPlan:
        role = ctx.params.behaviours.kb_swapping.swap_to
        return ServingPlan(ctx.stack_role, role, role)
