"""Stake accounting with EigenLayer AVS semantics, vectorized over operators.

Every Gaia node runner and every validator is an EigenLayer *operator*; every Gaia domain is an
*operator set* of the Gaia AVS. The rules implemented here follow:

- ELIP-002 "Slashing via Unique Stake & Operator Sets" (eigenfoundation/ELIPs, Dec 2024):
  an operator *allocates* parts of its delegated stake to operator sets as magnitudes whose sum can
  never exceed the operator's total (Unique Stake: a token is slashable by at most one set); a slash
  names an operator, a set and a fraction (``wadsToSlash``) of the stake allocated to that set;
  stake allocated to other sets is untouched; pending deallocations and queued withdrawals stay
  slashable until their delay has passed (slashing reduces the operator's max magnitude, so queued
  withdrawals shrink by the same slashing factor).
- EigenLayer "Safety Delays" reference (Layr-Labs/eigencloud-docs,
  docs/eigenlayer/reference/safety-delays-reference.md): ``DEALLOCATION_DELAY`` and
  ``WITHDRAWAL_DELAY`` = 100800 blocks (~14 days); ``ALLOCATION_DELAY`` set by the operator;
  ``SLASH_RESOLUTION_DELAY_BLOCKS`` = 50400 blocks (~7 days) between a slash and the moment its
  shares can be burned or redistributed.
- ELIP-006 "Redistributable Slashing": slashed funds are either burned or redistributed to a
  recipient chosen by the AVS (here: the AVS treasury or named operators); ELIP-016 "Slash
  Resolution Delay" (eigenlayer-contracts v1.13.0): slashed shares become clearable only
  ``SLASH_RESOLUTION_DELAY_BLOCKS`` after the slash, which is the escrow modelled here.

Units: tokens for amounts, epochs for time (``epoch_hours`` converts the day-denominated delays).
Token conservation is an invariant: ``stake + balances + escrow + burned + treasury == initial +
inflow - outflow`` (``check_invariants``). Operators pay compute out of pocket (outflow) and earn
fees (inflow). Limited liability: no balance goes negative (:func:`limited_debit`, :func:`can_top_up`;
an operator that cannot pay its costs or restore the minimum stake leaves through :meth:`StakeLedger.exit`). Every mutating method returns an event batch: a dict of
equal-length numpy arrays with keys ``kind, epoch, operator, set, amount, detail``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BURN = -1
TREASURY = -2

ACTIVE, EXITING, EXITED = 0, 1, 2

_EVENT_KEYS = ("kind", "epoch", "operator", "set", "amount", "detail")


def event_batch(kind, epoch, operator, amount=None, set_=None, detail="") -> dict[str, np.ndarray]:
    """Columnar event records: one row per entry of ``operator``; scalars are broadcast."""
    op = np.atleast_1d(np.asarray(operator, dtype=np.int64))
    n = op.size
    amt = np.zeros(n) if amount is None else np.broadcast_to(np.asarray(amount, float), (n,)).copy()
    st = np.full(n, -1, np.int64) if set_ is None else np.broadcast_to(np.asarray(set_, np.int64), (n,)).copy()
    det = np.broadcast_to(np.asarray(detail, dtype=object), (n,)).copy()
    return {
        "kind": np.full(n, kind, dtype=object),
        "epoch": np.full(n, int(epoch), np.int64),
        "operator": op,
        "set": st,
        "amount": amt,
        "detail": det,
    }


def concat_events(batches) -> dict[str, np.ndarray]:
    """Concatenate event batches (empty input -> empty batch)."""
    batches = [b for b in batches if b and len(b["operator"])]
    if not batches:
        return event_batch("none", 0, np.zeros(0, np.int64))
    return {k: np.concatenate([b[k] for b in batches]) for k in _EVENT_KEYS}


@dataclass(frozen=True)
class Delays:
    """EigenLayer safety delays in days and the epoch length that converts them to epochs."""

    epoch_hours: float = 24.0
    allocation_days: float = 0.0
    deallocation_days: float = 14.0
    withdrawal_days: float = 14.0
    escrow_days: float = 7.0

    def epochs(self, days: float) -> int:
        """Whole epochs a delay of ``days`` spans (rounded up: never shorter than the delay)."""
        return int(math.ceil(days * 24.0 / self.epoch_hours - 1e-9))

    @property
    def allocation(self) -> int:
        return self.epochs(self.allocation_days)

    @property
    def deallocation(self) -> int:
        return self.epochs(self.deallocation_days)

    @property
    def withdrawal(self) -> int:
        return self.epochs(self.withdrawal_days)

    @property
    def escrow(self) -> int:
        return self.epochs(self.escrow_days)


def limited_debit(balance, amount) -> tuple[np.ndarray, np.ndarray]:
    """Limited liability (an operator is a company whose owners' loss is capped at what it put in;
    Easterbrook & Fischel, "Limited Liability and the Corporation", U. Chicago L. Rev. 52, 1985):
    (paid, unpaid) of a bill ``amount`` against the liquid ``balance``. It pays at most its balance;
    the unpaid rest is the creditor's loss (the operator is insolvent and leaves)."""
    amount = np.asarray(amount, float)
    paid = np.minimum(amount, np.maximum(np.asarray(balance, float), 0.0))
    return paid, amount - paid


def can_top_up(balance, short, tol: float = 1e-9) -> np.ndarray:
    """bool[n]: the liquid ``balance`` covers the ``short``fall to the domain's minimum stake (else
    the operator cannot stay: an AVS registers operators only above a minimum stake and ejects the
    rest; eigenlayer-middleware ``StakeRegistry.minimumStakeForQuorum`` and ``EjectionManager``)."""
    return np.asarray(balance, float) >= np.asarray(short, float) - tol


class StakeLedger:
    """Stake, allocations, delays, escrow and liquid balances of N operators over M operator sets."""

    def __init__(self, stake, n_sets: int, balance=None, delays: Delays | None = None):
        stake = np.asarray(stake, dtype=float)
        if stake.ndim != 1 or np.any(stake < 0) or not np.all(np.isfinite(stake)):
            raise ValueError("stake must be a 1-d array of finite, non-negative tokens")
        n = stake.size
        self.delays = delays or Delays()
        self.n_sets = int(n_sets)
        self.unallocated = stake.copy()
        self.balance = np.zeros(n) if balance is None else np.asarray(balance, float).copy()
        self.allocated = np.zeros((n, self.n_sets))
        self.pending_alloc = np.zeros((n, self.n_sets))
        self.pending_alloc_due = np.full((n, self.n_sets), -1, np.int64)
        self.dealloc = np.zeros((n, self.n_sets))
        self.dealloc_due = np.full((n, self.n_sets), -1, np.int64)
        self.withdrawing = np.zeros(n)
        self.withdraw_due = np.full(n, -1, np.int64)
        self.status = np.zeros(n, np.int8)
        self.slashed_total = np.zeros(n)
        self._esc = {
            k: np.zeros(0, t)
            for k, t in (
                ("id", np.int64),
                ("amount", float),
                ("due", np.int64),
                ("operator", np.int64),
                ("set", np.int64),
                ("dest", np.int64),
            )
        }
        self._next_slash_id = 0
        self.burned = 0.0
        self.treasury = 0.0
        self.initial = float(stake.sum() + self.balance.sum())
        self.inflow = 0.0
        self.outflow = 0.0

    # ------------------------------------------------------------------ views
    @property
    def n(self) -> int:
        return self.unallocated.size

    @property
    def stake(self) -> np.ndarray:
        """Total tokens at stake per operator (every component, including queued withdrawals)."""
        return (
            self.unallocated
            + self.allocated.sum(1)
            + self.pending_alloc.sum(1)
            + self.dealloc.sum(1)
            + self.withdrawing
        )

    @property
    def delegated(self) -> np.ndarray:
        """Stake still delegated (the max magnitude's token value): stake minus queued withdrawals."""
        return self.stake - self.withdrawing

    @property
    def escrow(self) -> float:
        return float(self._esc["amount"].sum())

    def escrow_of(self) -> np.ndarray:
        """Tokens in escrow per slashed operator."""
        out = np.zeros(self.n)
        np.add.at(out, self._esc["operator"], self._esc["amount"])
        return out

    def slashable(self, ids=None, sets=None) -> np.ndarray:
        """Stake a set can slash now: live allocation plus pending deallocation (ELIP-002)."""
        s = self.allocated + self.dealloc
        if ids is None:
            return s
        return s[np.asarray(ids), np.asarray(sets)]

    def magnitudes(self) -> np.ndarray:
        """Encumbered magnitude per (operator, set) as a fraction of delegated stake; rows sum <= 1."""
        enc = self.allocated + self.pending_alloc + self.dealloc
        tot = self.delegated
        return np.divide(enc, tot[:, None], out=np.zeros_like(enc), where=tot[:, None] > 0)

    # ------------------------------------------------------------------ operators
    def add_operators(self, stake, epoch: int, balance=None) -> tuple[np.ndarray, dict]:
        """Append operators with fresh deposits (inflow); returns their ids and 'enter' events."""
        stake = np.asarray(stake, float)
        k = stake.size
        bal = np.zeros(k) if balance is None else np.asarray(balance, float)
        ids = np.arange(self.n, self.n + k)
        m = self.n_sets
        self.unallocated = np.concatenate([self.unallocated, stake])
        self.balance = np.concatenate([self.balance, bal])
        for name in ("allocated", "pending_alloc", "dealloc"):
            setattr(self, name, np.vstack([getattr(self, name), np.zeros((k, m))]))
        for name in ("pending_alloc_due", "dealloc_due"):
            setattr(self, name, np.vstack([getattr(self, name), np.full((k, m), -1, np.int64)]))
        self.withdrawing = np.concatenate([self.withdrawing, np.zeros(k)])
        self.withdraw_due = np.concatenate([self.withdraw_due, np.full(k, -1, np.int64)])
        self.status = np.concatenate([self.status, np.zeros(k, np.int8)])
        self.slashed_total = np.concatenate([self.slashed_total, np.zeros(k)])
        self.inflow += float(stake.sum() + bal.sum())
        return ids, event_batch("enter", epoch, ids, stake)

    def exit(self, ids, epoch: int) -> dict:
        """Start leaving: deallocate everything now; withdrawal is queued once deallocations complete."""
        ids = np.asarray(ids, np.int64)
        ids = ids[self.status[ids] == ACTIVE]
        rows, cols = np.nonzero(self.allocated[ids] > 0)
        ev = self.deallocate(ids[rows], cols, self.allocated[ids[rows], cols], epoch)
        self.status[ids] = EXITING
        return concat_events([ev, event_batch("exit_start", epoch, ids, self.stake[ids])])

    # ------------------------------------------------------------------ deposits and allocations
    def deposit(self, ids, amounts, epoch: int, from_balance: bool = False) -> dict:
        """Deposit tokens as unallocated stake, from outside (inflow) or from the liquid balance."""
        ids, amounts = np.asarray(ids, np.int64), np.asarray(amounts, float)
        _check_amounts(amounts)
        np.add.at(self.unallocated, ids, amounts)
        if from_balance:
            np.subtract.at(self.balance, ids, amounts)
        else:
            self.inflow += float(amounts.sum())
        return event_batch("deposit", epoch, ids, amounts)

    def allocate(self, ids, sets, amounts, epoch: int) -> dict:
        """Allocate unallocated stake to operator sets; requests are clipped so magnitudes stay <= 1.

        Pairs must be unique. With ``ALLOCATION_DELAY`` > 0 the allocation becomes live (and slashable)
        only after the delay (ELIP-002), and one pending allocation per (operator, set) merges.
        """
        ids, sets = np.asarray(ids, np.int64), np.asarray(sets, np.int64)
        amounts = np.asarray(amounts, float)
        _check_amounts(amounts)
        _check_unique(ids, sets, self.n_sets)
        want = np.zeros(self.n)
        np.add.at(want, ids, amounts)
        scale = np.divide(self.unallocated, want, out=np.ones(self.n), where=want > self.unallocated)
        got = amounts * scale[ids]
        np.subtract.at(self.unallocated, ids, got)
        np.maximum(self.unallocated, 0.0, out=self.unallocated)
        if self.delays.allocation == 0:
            self.allocated[ids, sets] += got
        else:
            self.pending_alloc[ids, sets] += got
            self.pending_alloc_due[ids, sets] = epoch + self.delays.allocation
        return event_batch("allocate", epoch, ids, got, sets)

    def deallocate(self, ids, sets, amounts, epoch: int) -> dict:
        """Queue deallocation; the stake stays slashable by the set for ``DEALLOCATION_DELAY`` epochs.

        A second deallocation of the same (operator, set) while one is pending merges into it and
        restarts the delay (conservative: never shortens slashability).
        """
        ids, sets = np.asarray(ids, np.int64), np.asarray(sets, np.int64)
        amounts = np.minimum(np.asarray(amounts, float), self.allocated[ids, sets])
        _check_amounts(amounts)
        _check_unique(ids, sets, self.n_sets)
        self.allocated[ids, sets] -= amounts
        self.dealloc[ids, sets] += amounts
        self.dealloc_due[ids, sets] = epoch + self.delays.deallocation
        return event_batch("deallocate", epoch, ids, amounts, sets)

    def queue_withdrawal(self, ids, amounts, epoch: int) -> dict:
        """Queue a withdrawal of unallocated stake; it completes to the liquid balance after the delay."""
        ids = np.asarray(ids, np.int64)
        amounts = np.minimum(np.asarray(amounts, float), self.unallocated[ids])
        _check_amounts(amounts)
        np.subtract.at(self.unallocated, ids, amounts)
        np.add.at(self.withdrawing, ids, amounts)
        self.withdraw_due[ids] = epoch + self.delays.withdrawal
        return event_batch("withdraw_queued", epoch, ids, amounts)

    # ------------------------------------------------------------------ slashing and escrow
    def slash(self, ids, sets, fractions, epoch: int, dest=BURN, detail="") -> dict:
        """Slash ``fractions`` of the stake each (operator, set) pair has allocated (ELIP-002).

        Live allocation and pending deallocation of that set shrink by the fraction; queued
        withdrawals shrink by the operator's slashing factor (slashed / delegated). Slashed tokens go
        to escrow for ``SLASH_RESOLUTION_DELAY`` epochs, then to ``dest``: ``BURN``, ``TREASURY`` or an
        operator id (ELIP-006 redistribution). Returns 'slash' events (one per pair, with slash ids
        in ``detail`` after the caller's text).
        """
        ids, sets = np.asarray(ids, np.int64), np.asarray(sets, np.int64)
        f = np.asarray(fractions, float)
        f = np.broadcast_to(f, ids.shape)
        if np.any((f < 0) | (f > 1)) or not np.all(np.isfinite(f)):
            raise ValueError("slash fractions must lie in [0, 1]")
        _check_unique(ids, sets, self.n_sets)
        delegated = self.delegated[ids]
        from_alloc = f * self.allocated[ids, sets]
        from_dealloc = f * self.dealloc[ids, sets]
        self.allocated[ids, sets] -= from_alloc
        self.dealloc[ids, sets] -= from_dealloc
        pair = from_alloc + from_dealloc
        factor = np.zeros(self.n)
        np.add.at(factor, ids, np.divide(pair, delegated, out=np.zeros_like(pair), where=delegated > 0))
        np.minimum(factor, 1.0, out=factor)
        wd_loss_op = self.withdrawing * factor
        self.withdrawing -= wd_loss_op
        op_pair_total = np.zeros(self.n)
        np.add.at(op_pair_total, ids, pair)
        share = np.divide(pair, op_pair_total[ids], out=np.zeros_like(pair), where=op_pair_total[ids] > 0)
        amount = pair + share * wd_loss_op[ids]
        np.add.at(self.slashed_total, ids, amount)
        sid = self._open_escrow(ids, sets, amount, epoch, dest)
        det = np.char.add(
            np.asarray(f"{detail};slash_id=" if detail else "slash_id=", dtype=str), sid.astype(str)
        ).astype(object)
        return event_batch("slash", epoch, ids, amount, sets, det)

    def _open_escrow(self, ids, sets, amount, epoch, dest) -> np.ndarray:
        k = ids.size
        sid = np.arange(self._next_slash_id, self._next_slash_id + k)
        self._next_slash_id += k
        new = {
            "id": sid,
            "amount": amount,
            "due": np.full(k, epoch + self.delays.escrow, np.int64),
            "operator": ids,
            "set": sets,
            "dest": np.broadcast_to(np.asarray(dest, np.int64), (k,)),
        }
        self._esc = {key: np.concatenate([self._esc[key], new[key]]) for key in self._esc}
        return sid

    def cancel_slash(self, slash_ids, epoch: int) -> dict:
        """Return escrowed slashes to the slashed operators' unallocated stake (a dispute overturned them).

        ELIP-016's resolution delay exists so a slash can be stopped before its shares are cleared;
        giving the tokens back to the operator is gaia-sim's intersubjective-dispute remedy.
        """
        hit = np.isin(self._esc["id"], np.asarray(slash_ids, np.int64))
        ops, amt = self._esc["operator"][hit], self._esc["amount"][hit]
        np.add.at(self.unallocated, ops, amt)
        np.subtract.at(self.slashed_total, ops, amt)
        self._esc = {k: v[~hit] for k, v in self._esc.items()}
        return event_batch("slash_cancelled", epoch, ops, amt)

    # ------------------------------------------------------------------ balances
    def credit(self, ids, amounts, epoch: int, kind: str = "credit") -> dict:
        """Tokens enter from outside the ledger (user fees, minted rewards) into liquid balances."""
        ids, amounts = np.asarray(ids, np.int64), np.asarray(amounts, float)
        np.add.at(self.balance, ids, amounts)
        self.inflow += float(amounts.sum())
        return event_batch(kind, epoch, ids, amounts)

    def debit(self, ids, amounts, epoch: int, kind: str = "debit") -> dict:
        """Tokens leave the ledger from liquid balances (compute costs, bonds burned off-ledger)."""
        ids, amounts = np.asarray(ids, np.int64), np.asarray(amounts, float)
        np.subtract.at(self.balance, ids, amounts)
        self.outflow += float(amounts.sum())
        return event_batch(kind, epoch, ids, amounts)

    def pay_from_treasury(self, ids, amounts, epoch: int) -> dict:
        """Move treasury tokens to balances, pro rata if the treasury cannot pay in full."""
        ids, amounts = np.asarray(ids, np.int64), np.asarray(amounts, float)
        total = float(amounts.sum())
        if total > self.treasury:
            amounts = amounts * (self.treasury / total if total > 0 else 0.0)
        np.add.at(self.balance, ids, amounts)
        self.treasury -= float(amounts.sum())
        return event_batch("treasury_payout", epoch, ids, amounts)

    def burn_balance(self, ids, amounts, epoch: int, dest=BURN) -> dict:
        """Take tokens from balances (e.g. a lost dispute bond) to burn or the treasury."""
        ids, amounts = np.asarray(ids, np.int64), np.asarray(amounts, float)
        np.subtract.at(self.balance, ids, amounts)
        if dest == TREASURY:
            self.treasury += float(amounts.sum())
        else:
            self.burned += float(amounts.sum())
        return event_batch("bond_lost", epoch, ids, amounts)

    # ------------------------------------------------------------------ time
    def advance(self, epoch: int) -> dict:
        """Complete everything due at ``epoch``: allocations, deallocations, withdrawals, exits, escrow."""
        return concat_events(
            [
                self._complete_allocations(epoch),
                self._complete_deallocations(epoch),
                self._queue_exit_withdrawals(epoch),
                self._complete_withdrawals(epoch),
                self._release_escrow(epoch),
            ]
        )

    def _complete_allocations(self, epoch):
        due = (self.pending_alloc_due >= 0) & (self.pending_alloc_due <= epoch)
        r, c = np.nonzero(due)
        amt = self.pending_alloc[r, c]
        self.allocated[r, c] += amt
        self.pending_alloc[r, c] = 0.0
        self.pending_alloc_due[r, c] = -1
        return event_batch("allocation_live", epoch, r, amt, c)

    def _complete_deallocations(self, epoch):
        due = (self.dealloc_due >= 0) & (self.dealloc_due <= epoch)
        r, c = np.nonzero(due)
        amt = self.dealloc[r, c]
        np.add.at(self.unallocated, r, amt)
        self.dealloc[r, c] = 0.0
        self.dealloc_due[r, c] = -1
        return event_batch("deallocated", epoch, r, amt, c)

    def _queue_exit_withdrawals(self, epoch):
        ready = (
            (self.status == EXITING)
            & (self.allocated.sum(1) == 0)
            & (self.dealloc_due.max(1) < 0)
            & (self.pending_alloc_due.max(1) < 0)
            & (self.withdraw_due < 0)
        )
        ids = np.nonzero(ready)[0]
        ids = ids[self.unallocated[ids] > 0]
        return self.queue_withdrawal(ids, self.unallocated[ids], epoch)

    def _complete_withdrawals(self, epoch):
        due = (self.withdraw_due >= 0) & (self.withdraw_due <= epoch)
        ids = np.nonzero(due)[0]
        amt = self.withdrawing[ids]
        self.balance[ids] += amt
        self.withdrawing[ids] = 0.0
        self.withdraw_due[ids] = -1
        done = ids[(self.status[ids] == EXITING) & (self.stake[ids] <= 1e-12)]
        self.status[done] = EXITED
        return concat_events([event_batch("withdrawn", epoch, ids, amt), event_batch("exited", epoch, done)])

    def _release_escrow(self, epoch):
        e = self._esc
        due = e["due"] <= epoch
        amt, dest, ops = e["amount"][due], e["dest"][due], e["operator"][due]
        self.burned += float(amt[dest == BURN].sum())
        self.treasury += float(amt[dest == TREASURY].sum())
        to_op = dest >= 0
        np.add.at(self.balance, dest[to_op], amt[to_op])
        self._esc = {k: v[~due] for k, v in e.items()}
        kinds = np.where(dest == BURN, "burn", "redistribute").astype(object)
        ev = event_batch("escrow_release", epoch, ops, amt, e["set"][due])
        ev["detail"] = kinds
        return ev

    # ------------------------------------------------------------------ invariants
    def conservation_error(self) -> float:
        """(stake + balances + escrow + burned + treasury) - (initial + inflow - outflow)."""
        held = self.stake.sum() + self.balance.sum() + self.escrow + self.burned + self.treasury
        return float(held - (self.initial + self.inflow - self.outflow))

    def check_invariants(self, rtol: float = 1e-9) -> None:
        """Raise AssertionError naming every broken invariant (tokens, signs, unique stake, delays)."""
        problems = []
        scale = max(1.0, self.initial + self.inflow + self.outflow)
        if abs(self.conservation_error()) > rtol * scale:
            problems.append(f"tokens not conserved (error {self.conservation_error():.6g})")
        for name in ("unallocated", "allocated", "pending_alloc", "dealloc", "withdrawing"):
            if np.any(getattr(self, name) < -rtol * scale):
                problems.append(f"{name} stake negative")
        if np.any(self.balance < -rtol * scale):
            problems.append("negative balance (limited liability)")
        if np.any(self._esc["amount"] < -rtol * scale) or self.burned < 0 or self.treasury < -rtol * scale:
            problems.append("escrow, burned or treasury negative")
        if np.any(self.magnitudes().sum(1) > 1 + 1e-9):
            problems.append("allocated magnitudes exceed total (unique stake)")
        if np.any((self.dealloc > 0) & (self.dealloc_due < 0)):
            problems.append("pending deallocation without a due epoch")
        if problems:
            raise AssertionError("; ".join(problems))


def _check_amounts(amounts: np.ndarray) -> None:
    if np.any(amounts < 0) or not np.all(np.isfinite(amounts)):
        raise ValueError("amounts must be finite and non-negative")


def _check_unique(ids: np.ndarray, sets: np.ndarray, n_sets: int) -> None:
    if ids.shape != sets.shape:
        raise ValueError("ids and sets must have the same shape")
    if np.any((sets < 0) | (sets >= n_sets)):
        raise ValueError(f"operator set ids must lie in [0, {n_sets})")
    key = ids * n_sets + sets
    if np.unique(key).size != key.size:
        raise ValueError("(operator, set) pairs must be unique within one call")
