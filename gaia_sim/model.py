"""The Mesa model of a Gaia network: a thin shell that steps the epoch's phases.

The network state (:class:`~gaia_sim.epoch.NetworkState`: arrays by node id plus the stake ledger)
is built up front by :func:`~gaia_sim.epoch.build_state`; one :meth:`GaiaModel.step` runs the phases
of :mod:`gaia_sim.epoch` in their fixed order (traffic -> judge -> slash -> settle -> revise), hands
each outcome to the next and the :class:`~gaia_sim.epoch.EpochOutcome` to the recorder. Agents are
thin Mesa handles onto the state.
"""

from __future__ import annotations

import mesa

from gaia_sim.answers.source import AnswerSource
from gaia_sim.epoch import EpochOutcome, build_state, check_invariants, finish_epoch, judge, traffic
from gaia_sim.epoch.parallel import SERIAL, DomainRunner
from gaia_sim.epoch.state import apportion
from gaia_sim.epoch.traffic import Traffic
from gaia_sim.metrics import EpochRecorder
from gaia_sim.nodes import NODE_BEHAVIOURS
from gaia_sim.params import NODE_BEHAVIOURS as NODE_NAMES
from gaia_sim.params import VALIDATOR_BEHAVIOURS as VALIDATOR_NAMES
from gaia_sim.scenario import Scenario


class NodeAgent(mesa.Agent):
    """A node slot: its operator's behaviour and stack are read from the network state."""

    def __init__(self, model: "GaiaModel", node_id: int):
        super().__init__(model)
        self.node_id = node_id

    @property
    def domain(self) -> int:
        return int(self.model.state.node_domain[self.node_id])

    @property
    def stack_role(self) -> str:
        return str(self.model.state.stack_role[self.node_id])

    @property
    def behaviour(self):
        return NODE_BEHAVIOURS[self.model.state.behaviour[self.node_id]]()


class ValidatorAgent(mesa.Agent):
    """A validator: its behaviour object decides its votes."""

    def __init__(self, model: "GaiaModel", validator_id: int):
        super().__init__(model)
        self.validator_id = validator_id

    @property
    def domain(self) -> int:
        return int(self.model.state.validator_domain[self.validator_id])

    @property
    def behaviour(self):
        return self.model.state.validators[self.validator_id]


#: Network-state attributes readable on the model (runner.node_table, tests, notebooks).
STATE_VIEWS = frozenset(
    {
        "node_domain",
        "validator_domain",
        "behaviour",
        "initial_behaviour",
        "free_slot",
        "active",
        "status",
        "node_status",
        "node_stake",
        "node_balance",
        "validator_stake",
        "validator_balance",
        "slashed_total",
        "validator_slashed_total",
        "ring_member",
        "profit_avg",
        "profit_total",
        "epochs_played",
        "revenue_total",
        "cost_total",
        "ledger",
        "minted",
        "burned",
        "escrow",
        "treasury",
        "question_selector",
        "evidence",
    }
)


class GaiaModel(mesa.Model):
    """A simulated Gaia network built from a :class:`Scenario` and an :class:`AnswerSource`."""

    def __init__(self, scenario: Scenario, answers: AnswerSource, domains: DomainRunner = SERIAL):
        super().__init__(seed=scenario.seed)
        self.scenario, self.answers, self.epoch = scenario, answers, 0
        self.domains = domains  # where the domains' detector runs go
        self.state = build_state(scenario, answers)
        self.nodes = [NodeAgent(self, i) for i in range(self.state.n_nodes)]
        self.validators = [ValidatorAgent(self, j) for j in range(self.state.n_validators)]
        self.recorder = EpochRecorder()
        self.last: EpochOutcome | None = None

    def __getattr__(self, name: str):
        if name in STATE_VIEWS:
            return getattr(self.__dict__["state"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def epoch_questions(self) -> list[str]:
        """The probe questions of the last epoch."""
        return self.last.traffic.questions if self.last else []

    def check_invariants(self, rtol: float = 1e-9) -> None:
        """:func:`gaia_sim.epoch.check_invariants` on the network state."""
        check_invariants(self.state, rtol)

    def step(self) -> None:
        """One epoch: phases a-e (:mod:`gaia_sim.epoch`), then the recorder."""
        self.epoch += 1
        t = self.phase_traffic()
        self.last = finish_epoch(self.state, self.epoch, t, self.phase_judge(t))
        self.recorder.record(self.state, self.last)

    def phase_traffic(self) -> Traffic:
        return traffic.run(self.state, self.epoch)

    def phase_judge(self, t: Traffic) -> judge.Judgement:
        return judge.run(self.state, t, self.epoch, self.domains)


__all__ = ["GaiaModel", "NodeAgent", "ValidatorAgent", "NODE_NAMES", "VALIDATOR_NAMES", "apportion"]
