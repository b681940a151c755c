"""StakeLedger: EigenLayer semantics and invariants (property-based + hand-checked cases)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gaia_sim.staking import BURN, EXITED, TREASURY, Delays, StakeLedger, limited_debit

D = Delays(epoch_hours=24, deallocation_days=14, withdrawal_days=14, escrow_days=7)


def ledger(n=3, m=2, stake=100.0):
    lg = StakeLedger(np.full(n, stake), m, delays=D)
    lg.allocate(np.arange(n), np.zeros(n, int), np.full(n, stake / 2), epoch=0)
    return lg


def test_delays_convert_days_to_epochs():
    assert Delays(epoch_hours=24).deallocation == 14
    assert Delays(epoch_hours=1).escrow == 7 * 24
    assert Delays(epoch_hours=168).deallocation == 2  # 14 days = 2 weeks
    assert Delays(epoch_hours=100).escrow == 2  # 168 h rounds up


def test_slash_takes_fraction_of_allocated_only():
    lg = ledger()
    ev = lg.slash([0], [0], [0.2], epoch=1)
    assert ev["amount"][0] == pytest.approx(10.0)  # 20% of the 50 allocated
    assert lg.stake[0] == pytest.approx(90.0)
    assert lg.unallocated[0] == pytest.approx(50.0)  # unique stake: unallocated untouched
    assert lg.escrow == pytest.approx(10.0)
    lg.check_invariants()


def test_other_set_allocation_untouched_by_slash():
    lg = StakeLedger([100.0], 2, delays=D)
    lg.allocate([0, 0], [0, 1], [30.0, 40.0], epoch=0)
    lg.slash([0], [0], [1.0], epoch=1)
    assert lg.allocated[0, 1] == pytest.approx(40.0)
    assert lg.allocated[0, 0] == 0.0


def test_escrow_released_only_after_delay_then_burned_or_redistributed():
    lg = ledger()
    lg.slash([0, 1], [0, 0], [0.2, 0.2], epoch=1, dest=np.array([BURN, 2]))
    for e in range(2, 8):
        lg.advance(e)
        assert lg.escrow == pytest.approx(20.0) and lg.burned == 0.0
    lg.advance(8)
    assert lg.escrow == 0.0 and lg.burned == pytest.approx(10.0)
    assert lg.balance[2] == pytest.approx(10.0)
    lg.check_invariants()


def test_treasury_destination():
    lg = ledger()
    lg.slash([0], [0], [1.0], epoch=0, dest=TREASURY)
    lg.advance(7)
    assert lg.treasury == pytest.approx(50.0)
    lg.pay_from_treasury([1, 2], [40.0, 40.0], epoch=8)
    assert lg.treasury == pytest.approx(0.0)
    assert lg.balance[1] == pytest.approx(25.0)
    lg.check_invariants()


def test_deallocation_stays_slashable_until_delay():
    lg = ledger()
    lg.deallocate([0], [0], [50.0], epoch=0)
    assert lg.slashable([0], [0])[0] == pytest.approx(50.0)
    lg.advance(13)
    ev = lg.slash([0], [0], [0.5], epoch=13)
    assert ev["amount"][0] == pytest.approx(25.0)
    lg.advance(14)
    assert lg.slashable([0], [0])[0] == 0.0
    assert lg.unallocated[0] == pytest.approx(75.0)


def test_queued_withdrawal_shrinks_with_slashing_factor():
    lg = StakeLedger([100.0], 1, delays=D)
    lg.allocate([0], [0], [50.0], 0)
    lg.queue_withdrawal([0], [20.0], 0)  # delegated now 80, of which 50 allocated
    ev = lg.slash([0], [0], [0.4], 1)  # 20 from allocation = 25% of delegated stake
    assert lg.withdrawing[0] == pytest.approx(15.0)
    assert ev["amount"][0] == pytest.approx(25.0)
    lg.check_invariants()


def test_withdrawal_completes_after_delay_and_exit_finishes():
    lg = ledger(n=1)
    lg.exit([0], epoch=0)
    for e in range(1, 28):
        lg.advance(e)
        assert lg.balance[0] == 0.0
    lg.advance(28)
    assert lg.balance[0] == pytest.approx(100.0) and lg.status[0] == EXITED
    lg.check_invariants()


def test_cancel_slash_returns_escrow():
    lg = ledger()
    ev = lg.slash([0], [0], [0.5], epoch=1)
    sid = int(ev["detail"][0].split("slash_id=")[1])
    lg.cancel_slash([sid], epoch=3)
    assert lg.stake[0] == pytest.approx(100.0) and lg.escrow == 0.0
    lg.check_invariants()


def test_allocation_clipped_to_unallocated_and_delay():
    lg = StakeLedger([100.0], 3, delays=Delays(allocation_days=2))
    lg.allocate([0, 0, 0], [0, 1, 2], [80.0, 80.0, 40.0], 0)
    assert lg.magnitudes().sum() == pytest.approx(1.0)
    assert lg.slashable([0], [0])[0] == 0.0  # not live yet
    lg.advance(2)
    assert lg.slashable([0], [0])[0] == pytest.approx(40.0)


def test_add_operators_and_invalid_input():
    lg = ledger()
    ids, _ = lg.add_operators([10.0, 20.0], epoch=1)
    assert list(ids) == [3, 4] and lg.stake[4] == 20.0
    lg.check_invariants()
    with pytest.raises(ValueError):
        lg.slash([0, 0], [0, 0], [0.1, 0.1], 1)
    with pytest.raises(ValueError):
        lg.slash([0], [0], [1.5], 1)


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["alloc", "dealloc", "slash", "withdraw", "advance", "credit", "debit", "exit", "add", "deposit"]
        ),
        st.integers(0, 5),
        st.integers(0, 2),
        st.floats(0, 1),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(stake=st.lists(st.floats(0, 1e4), min_size=1, max_size=6), ops=OPS)
def test_random_operations_keep_invariants(stake, ops):
    lg = StakeLedger(
        np.array(stake), 3, delays=Delays(epoch_hours=24, deallocation_days=3, withdrawal_days=2, escrow_days=1)
    )
    epoch = 0
    for kind, i, m, x in ops:
        i = i % lg.n
        if kind == "alloc":
            lg.allocate([i], [m], [x * lg.unallocated[i] * 1.5], epoch)
        elif kind == "dealloc":
            lg.deallocate([i], [m], [x * lg.allocated[i, m]], epoch)
        elif kind == "slash":
            before = lg.slashable([i], [m])[0] + lg.withdrawing[i]
            stake_before = lg.stake[i]
            ev = lg.slash([i], [m], [x], epoch)
            assert 0.0 <= ev["amount"][0] <= before + 1e-9
            assert lg.stake[i] == pytest.approx(stake_before - ev["amount"][0], abs=1e-6)
        elif kind == "withdraw":
            lg.queue_withdrawal([i], [x * lg.unallocated[i]], epoch)
        elif kind == "advance":
            due = lg.dealloc_due.copy(), lg.withdraw_due.copy()
            epoch += 1
            lg.advance(epoch)
            assert np.all((due[0] < 0) | (due[0] <= epoch) | (lg.dealloc_due == due[0]))
            assert np.all((due[1] < 0) | (due[1] <= epoch) | (lg.withdraw_due == due[1]))
        elif kind == "credit":
            lg.credit([i], [x * 10], epoch)
        elif kind == "debit":  # limited liability: at most the balance
            lg.debit([i], limited_debit(lg.balance[[i]], [x * 10])[0], epoch)
        elif kind == "exit":
            lg.exit([i], epoch)
        elif kind == "add":
            lg.add_operators([x * 100], epoch)
        elif kind == "deposit":
            amount = min(x * 5, max(lg.balance[i], 0.0)) if m % 2 else x * 5
            lg.deposit([i], [amount], epoch, from_balance=bool(m % 2))
        lg.check_invariants()
        assert np.all(lg.stake >= -1e-9)
        assert np.all(lg.magnitudes().sum(1) <= 1 + 1e-9)


@settings(max_examples=60, deadline=None)
@given(delay=st.integers(1, 10), slash_epoch=st.integers(0, 5))
def test_escrow_never_released_early(delay, slash_epoch):
    lg = StakeLedger([100.0], 1, delays=Delays(epoch_hours=24, escrow_days=delay))
    lg.allocate([0], [0], [100.0], 0)
    lg.slash([0], [0], [0.5], slash_epoch)
    for e in range(slash_epoch, slash_epoch + delay):
        lg.advance(e)
        assert lg.escrow == pytest.approx(50.0)
    lg.advance(slash_epoch + delay)
    assert lg.escrow == 0.0 and lg.burned == pytest.approx(50.0)


def test_vectorized_scale_is_fast():
    import time

    n = 1000
    lg = StakeLedger(np.full(n, 100.0), 10, delays=D)
    lg.allocate(np.arange(n), np.arange(n) % 10, np.full(n, 100.0), 0)
    t = time.perf_counter()
    rng = np.random.default_rng(0)
    for e in range(1, 201):
        hit = np.nonzero(rng.random(n) < 0.02)[0]
        lg.slash(hit, hit % 10, np.full(hit.size, 0.1), e)
        lg.credit(np.arange(n), np.ones(n), e)
        lg.advance(e)
    lg.check_invariants()
    assert time.perf_counter() - t < 5.0


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=8), st.lists(st.floats(0, 1e6), min_size=1, max_size=8))
def test_limited_debit_never_takes_more_than_the_balance(balance, bill):
    n = min(len(balance), len(bill))
    b, a = np.array(balance[:n]), np.array(bill[:n])
    paid, unpaid = limited_debit(b, a)
    assert np.all(paid <= b + 1e-9) and np.all(paid >= 0) and np.allclose(paid + unpaid, a)
    assert np.all((unpaid == 0) | np.isclose(paid, b))


def test_a_negative_balance_breaks_the_ledger_invariant():
    lg = StakeLedger(np.array([10.0]), 1, np.array([5.0]))
    lg.debit([0], [6.0], 0)
    with pytest.raises(AssertionError, match="negative balance"):
        lg.check_invariants()
