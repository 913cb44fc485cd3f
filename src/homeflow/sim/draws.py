"""The engine's random numbers: one generator per replication, compiled into the event loop.

numba's np.random keeps one hidden state per thread and draws normals and exponentials with
logarithms; this generator's state is one record (four words) that the loop owns, so a
replication depends on its seed alone, and it draws both by the ziggurat method (Marsaglia and
Tsang, 2000, as numpy's Generator does), which needs a logarithm or an exponential in about one
draw in fifty. The bits come from xoshiro256** (Blackman and Vigna), seeded through splitmix64.

The state is a record of a one-row array (`STATE`), not an array: numba counts references to
an array passed to a function that branches, with an atomic add on every call, but not to a
record, which is a plain pointer into its array (the caller keeps the array alive).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Distribution families (the model file's names are in homeflow.sim.model.FAMILIES).
EXPONENTIAL, LOGNORMAL, GAMMA, WEIBULL, EMPIRICAL, FIXED = 0, 1, 2, 3, 4, 5

_U64 = np.uint64
STATE = np.dtype([("s0", np.uint64), ("s1", np.uint64), ("s2", np.uint64), ("s3", np.uint64)])


def _exponential_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The 256 layers of exp(-x) for 53-bit draws: where each layer's box is whole, its width
    per unit of draw, and the density at each layer's edge; and where the tail starts."""
    r, v, m = 7.69711747013104972, 3.949659822581572e-3, 2.0**53
    k, w, f = np.zeros(256, np.uint64), np.zeros(256), np.zeros(256)
    q = v / math.exp(-r)
    k[0], w[0], w[255] = int(r / q * m), q / m, r / m
    f[0], f[255] = 1.0, math.exp(-r)
    edge = r
    for i in range(254, 0, -1):
        x = -math.log(v / edge + math.exp(-edge))
        k[i + 1] = int(x / edge * m)
        edge, f[i], w[i] = x, math.exp(-x), x / m
    return k, w, f, r


def _normal_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The same for exp(-x²/2) and 52-bit draws (a sign bit takes the 53rd)."""
    r, v, m = 3.6541528853610088, 4.92867323399e-3, 2.0**52
    k, w, f = np.zeros(256, np.uint64), np.zeros(256), np.zeros(256)
    q = v / math.exp(-0.5 * r * r)
    k[0], w[0], w[255] = int(r / q * m), q / m, r / m
    f[0], f[255] = 1.0, math.exp(-0.5 * r * r)
    edge = r
    for i in range(254, 0, -1):
        x = math.sqrt(-2.0 * math.log(v / edge + math.exp(-0.5 * edge * edge)))
        k[i + 1] = int(x / edge * m)
        edge, f[i], w[i] = x, math.exp(-0.5 * x * x), x / m
    return k, w, f, r


_KE, _WE, _FE, _EXP_R = _exponential_tables()
_KN, _WN, _FN, _NOR_R = _normal_tables()
_NOR_INV_R = 1.0 / _NOR_R


@njit(cache=True, error_model="numpy", inline="always")
def _rotl(x, k):  # type: ignore[no-untyped-def]
    return (x << _U64(k)) | (x >> _U64(64 - k))


@njit(cache=True, error_model="numpy")
def _splitmix(z):  # type: ignore[no-untyped-def]
    x = z
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


@njit(cache=True, error_model="numpy")
def seed(s, value):  # type: ignore[no-untyped-def]
    """Set a generator's state from a seed (splitmix64's first four outputs, never all zero)."""
    step = _U64(0x9E3779B97F4A7C15)
    z = _U64(value)
    s.s0 = _splitmix(z + step)
    s.s1 = _splitmix(z + _U64(2) * step)
    s.s2 = _splitmix(z + _U64(3) * step)
    s.s3 = _splitmix(z + _U64(4) * step)


@njit(cache=True, error_model="numpy", inline="always")
def bits(s):  # type: ignore[no-untyped-def]
    """64 random bits (xoshiro256**)."""
    s0, s1, s2, s3 = s.s0, s.s1, s.s2, s.s3
    result = _rotl(s1 * _U64(5), 7) * _U64(9)
    t = s1 << _U64(17)
    s2 ^= s0
    s3 ^= s1
    s.s1 = s1 ^ s2
    s.s0 = s0 ^ s3
    s.s2 = s2 ^ t
    s.s3 = _rotl(s3, 45)
    return result


@njit(cache=True, error_model="numpy", inline="always")
def uniform(s):  # type: ignore[no-untyped-def]
    """A uniform draw in [0, 1) with 53 random bits."""
    return float(bits(s) >> _U64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, error_model="numpy", inline="always")
def exponential(s):  # type: ignore[no-untyped-def]
    """A draw from the exponential distribution of mean 1."""
    while True:
        r = bits(s) >> _U64(3)
        i = r & _U64(0xFF)
        r >>= _U64(8)
        x = float(r) * _WE[i]
        if r < _KE[i]:
            return x
        if i == 0:
            return _EXP_R - np.log1p(-uniform(s))
        if (_FE[i - 1] - _FE[i]) * uniform(s) + _FE[i] < np.exp(-x):
            return x


@njit(cache=True, error_model="numpy", inline="always")
def normal(s):  # type: ignore[no-untyped-def]
    """A draw from the standard normal distribution."""
    while True:
        r = bits(s)
        i = r & _U64(0xFF)
        r >>= _U64(8)
        negative = (r & _U64(1)) != _U64(0)
        magnitude = (r >> _U64(1)) & _U64(0x000FFFFFFFFFFFFF)
        x = float(magnitude) * _WN[i]
        if negative:
            x = -x
        if magnitude < _KN[i]:
            return x
        if i == 0:
            while True:
                xx = -_NOR_INV_R * np.log1p(-uniform(s))
                yy = -np.log1p(-uniform(s))
                if yy + yy > xx * xx:
                    return -(_NOR_R + xx) if (magnitude >> _U64(8)) & _U64(1) else _NOR_R + xx
        elif (_FN[i - 1] - _FN[i]) * uniform(s) + _FN[i] < np.exp(-0.5 * x * x):
            return x


@njit(cache=True, error_model="numpy")
def gamma(s, shape):  # type: ignore[no-untyped-def]
    """A draw from the gamma distribution of this shape and scale 1 (Marsaglia and Tsang's
    method; below shape 1, Johnk's as numpy takes it)."""
    if shape == 1.0:
        return exponential(s)
    if shape < 1.0:
        while True:
            u = uniform(s)
            v = exponential(s)
            if u <= 1.0 - shape:
                x = u ** (1.0 / shape)
                if x <= v:
                    return x
            else:
                y = -np.log((1.0 - u) / shape)
                x = (1.0 - shape + shape * y) ** (1.0 / shape)
                if x <= v + y:
                    return x
    b = shape - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * b)
    while True:
        x = normal(s)
        v = 1.0 + c * x
        while v <= 0.0:
            x = normal(s)
            v = 1.0 + c * x
        v = v * v * v
        u = uniform(s)
        if u < 1.0 - 0.0331 * (x * x) * (x * x):
            return b * v
        if np.log(u) < 0.5 * x * x + b * (1.0 - v + np.log(v)):
            return b * v


@njit(cache=True, error_model="numpy", inline="always")
def draw(s, family, a, b, n):  # type: ignore[no-untyped-def]
    """A draw from a family with parameters a and b; for an empirical distribution of n values,
    which of them (the caller looks it up: the values are an array)."""
    if family == EXPONENTIAL:
        return a * exponential(s)
    if family == LOGNORMAL:
        return np.exp(a + b * normal(s))
    if family == GAMMA:
        return b * gamma(s, a)
    if family == WEIBULL:
        return b * exponential(s) ** (1.0 / a)
    if family == EMPIRICAL:
        return float(min(int(uniform(s) * n), n - 1))
    return a


@njit(cache=True, error_model="numpy")
def streams(seeds, stream):  # type: ignore[no-untyped-def]
    """A generator per replication for draws apart from the engine's: seeded from the
    replication's 32-bit seed with the stream's number above it (the engine's is stream 0)."""
    states = np.zeros(seeds.shape[0], STATE)
    for r in range(seeds.shape[0]):
        seed(states[r], seeds[r] + (stream << 32))
    return states


@njit(cache=True, error_model="numpy")
def uniforms(states, counts, k):  # type: ignore[no-untyped-def]
    """`counts[r]` rows of `k` uniform draws from replication r's generator, replication by
    replication."""
    out = np.empty((counts.sum(), k))
    row = 0
    for r in range(states.shape[0]):
        for _ in range(counts[r]):
            for j in range(k):
                out[row, j] = uniform(states[r])
            row += 1
    return out


@njit(cache=True, error_model="numpy")
def length_biased(states, family, a, b, values, size):  # type: ignore[no-untyped-def]
    """`size` draws per replication of the whole stay of someone met at a random moment (longer
    stays are likelier: the density is proportional to length × the stay's own density)."""
    out = np.empty((states.shape[0], size))
    cumulative = np.cumsum(values) / max(values.sum(), 1e-300)
    for r in range(states.shape[0]):
        s = states[r]
        for i in range(size):
            if family == EXPONENTIAL:
                out[r, i] = a * gamma(s, 2.0)
            elif family == LOGNORMAL:
                out[r, i] = np.exp(a + b * b + b * normal(s))
            elif family == GAMMA:
                out[r, i] = b * gamma(s, a + 1.0)
            elif family == WEIBULL:
                out[r, i] = b * gamma(s, 1.0 + 1.0 / a) ** (1.0 / a)
            elif family == EMPIRICAL:
                pick = np.searchsorted(cumulative, uniform(s), side="right")
                out[r, i] = values[min(pick, values.shape[0] - 1)]
            else:
                out[r, i] = a
    return out
