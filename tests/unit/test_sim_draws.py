"""The simulation engine's own random draws (homeflow.sim.draws) follow their distributions: each
family against scipy's by Kolmogorov-Smirnov and by its moments, the tails the ziggurat handles
apart, and a seed always giving the same draws; and a replication that outgrows the engine's
first room run again from its seed."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from scipy import stats

from homeflow.sim import draws

N = 200_000


@njit(cache=True)
def _sample(seed, n, family, a, b, values):  # type: ignore[no-untyped-def]
    state = np.empty(1, draws.STATE)
    s = state[0]
    draws.seed(s, seed)
    out = np.empty(n)
    for i in range(n):
        x = draws.draw(s, family, a, b, values.shape[0])
        out[i] = values[int(x)] if family == draws.EMPIRICAL else x
    return out


@njit(cache=True)
def _uniforms_and_normals(seed, n):  # type: ignore[no-untyped-def]
    state = np.empty(1, draws.STATE)
    s = state[0]
    draws.seed(s, seed)
    u = np.empty(n)
    z = np.empty(n)
    for i in range(n):
        u[i] = draws.uniform(s)
        z[i] = draws.normal(s)
    return u, z


NONE = np.zeros(1)


@pytest.mark.parametrize(
    ("family", "a", "b", "expected"),
    [
        (draws.EXPONENTIAL, 4.0, 0.0, stats.expon(scale=4.0)),
        (draws.LOGNORMAL, 1.2, 0.8, stats.lognorm(s=0.8, scale=np.exp(1.2))),
        (draws.GAMMA, 0.4, 3.0, stats.gamma(0.4, scale=3.0)),
        (draws.GAMMA, 1.0, 2.0, stats.gamma(1.0, scale=2.0)),
        (draws.GAMMA, 3.3, 1.5, stats.gamma(3.3, scale=1.5)),
        (draws.WEIBULL, 0.7, 5.0, stats.weibull_min(0.7, scale=5.0)),
        (draws.WEIBULL, 2.5, 5.0, stats.weibull_min(2.5, scale=5.0)),
    ],
)
def test_each_family_draws_its_distribution(family: int, a: float, b: float, expected) -> None:  # type: ignore[no-untyped-def]
    x = _sample(11, N, family, a, b, NONE)
    assert stats.kstest(x, expected.cdf).pvalue > 1e-3
    mean, var = expected.stats()
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / N)
    assert x.var() == pytest.approx(var, rel=0.05)


def test_an_empirical_distribution_draws_each_value_equally_often() -> None:
    values = np.array([1.0, 2.0, 3.5, 7.0, 30.0])
    x = _sample(5, N, draws.EMPIRICAL, 0.0, 0.0, values)
    counts = np.array([(x == v).sum() for v in values])
    assert counts.sum() == N
    assert stats.chisquare(counts).pvalue > 1e-3


def test_a_fixed_duration_is_that_duration() -> None:
    assert (_sample(5, 100, draws.FIXED, 2.5, 0.0, NONE) == 2.5).all()


def test_uniforms_and_normals_and_their_tails() -> None:
    u, z = _uniforms_and_normals(3, 2_000_000)
    assert (u >= 0).all() and (u < 1).all()
    assert stats.kstest(u[:N], "uniform").pvalue > 1e-3
    assert stats.kstest(z[:N], "norm").pvalue > 1e-3
    # Beyond the ziggurat's last layer (3.654) the draws come from its tail algorithm.
    beyond = (np.abs(z) > 3.6541528853610088).sum()
    expected = len(z) * 2 * stats.norm.sf(3.6541528853610088)
    assert abs(beyond - expected) < 5 * np.sqrt(expected)
    x = _sample(4, 2_000_000, draws.EXPONENTIAL, 1.0, 0.0, NONE)
    beyond = (x > 7.69711747013104972).sum()
    expected = len(x) * stats.expon.sf(7.69711747013104972)
    assert abs(beyond - expected) < 5 * np.sqrt(expected)


def test_a_seed_gives_the_same_draws_and_another_seed_others() -> None:
    first = _sample(8, 1000, draws.LOGNORMAL, 0.0, 1.0, NONE)
    assert np.array_equal(first, _sample(8, 1000, draws.LOGNORMAL, 0.0, 1.0, NONE))
    assert not np.array_equal(first, _sample(9, 1000, draws.LOGNORMAL, 0.0, 1.0, NONE))


def test_a_replication_that_outgrows_its_room_is_run_again_with_the_same_draws() -> None:
    """Two beds, 300 arrivals a day queueing for them: the queue passes the room a replication
    starts with (bench_simulation's year fits), so each is run again from its seed with more;
    nobody is lost and the same seeds give the same figures."""
    from homeflow.sim import engine as e
    from homeflow.sim.compiled import compile_model
    from homeflow.sim.model import parse_model
    from homeflow.sim.runner import replication_seeds

    model = parse_model(
        'name = "overflow"\nstart = 2026-01-05\n[[service]]\nname = "ward"\ncapacity = 2\n'
        'arrivals = { per_day = 300.0 }\nlength_of_stay = { family = "fixed", value = 1.0 }\n'
    )
    compiled = compile_model(model, 10, warmup_days=0)
    out = compiled.run(replication_seeds(4, 3))
    ward = out[:, :, 0]
    assert ward[:, -1, e.QUEUE].min() > e._ROOM // 8  # longer than the first room's queues
    arrived = ward[..., e.ADMISSIONS].sum(axis=1) + ward[:, -1, e.QUEUE]
    assert (arrived > 2800).all() and (ward[..., e.OCCUPANCY] <= 2).all()
    assert np.array_equal(out, compiled.run(replication_seeds(4, 3)))


def test_a_replications_streams_depend_on_its_seed_alone_and_differ_from_stream_to_stream() -> None:
    seeds = np.array([11, 12, 13], np.int64)
    counts = np.array([4, 4, 4], np.int64)
    together = draws.uniforms(draws.streams(seeds, 1), counts, 2).reshape(3, 4, 2)
    alone = draws.uniforms(draws.streams(seeds[1:2], 1), counts[:1], 2)
    assert (together[1] == alone).all()
    # Another stream of the same seed, and the engine's own (stream 0: the seed itself), differ.
    other = draws.uniforms(draws.streams(seeds[1:2], 2), counts[:1], 2)
    engine_own = draws.uniforms(draws.streams(seeds[1:2], 0), counts[:1], 2)
    assert not np.isin(alone, other).any() and not np.isin(alone, engine_own).any()
    assert ((together >= 0.0) & (together < 1.0)).all()


def test_length_biased_draws_have_the_stays_second_moment_over_its_mean() -> None:
    # Met at a random moment, a stay is E[X²]/E[X] long on average: exponential of mean 2,
    # 8/2 = 4; fixed 3, 3; empirical 1 and 3 (equally often), (1 + 9)/(1 + 3) = 2.5.
    states = draws.streams(np.arange(4, dtype=np.int64), 1)
    exponential = draws.length_biased(states, draws.EXPONENTIAL, 2.0, 0.0, np.zeros(0), 50_000)
    assert exponential.mean() == pytest.approx(4.0, rel=0.01)
    fixed = draws.length_biased(states, draws.FIXED, 3.0, 0.0, np.zeros(0), 10)
    assert (fixed == 3.0).all()
    values = np.array([1.0, 3.0])
    empirical = draws.length_biased(states, draws.EMPIRICAL, 0.0, 0.0, values, 50_000)
    assert set(np.unique(empirical)) == {1.0, 3.0}
    assert empirical.mean() == pytest.approx(2.5, rel=0.01)
