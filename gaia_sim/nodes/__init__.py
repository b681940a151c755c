"""Node behaviours, registered by name: ``NODE_BEHAVIOURS["honest"]()`` etc."""

from gaia_sim.nodes import behaviours as _behaviours  # noqa: F401  (registers the classes)
from gaia_sim.nodes.base import (
    NODE_BEHAVIOURS,
    NODE_TRAITS,
    NodeBehaviour,
    NodeContext,
    ServingPlan,
    draw_stack,
    stack_mix,
    with_trait,
)

__all__ = [
    "NODE_BEHAVIOURS",
    "NODE_TRAITS",
    "NodeBehaviour",
    "NodeContext",
    "ServingPlan",
    "draw_stack",
    "stack_mix",
    "with_trait",
]
