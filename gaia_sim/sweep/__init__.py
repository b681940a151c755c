"""Parameter sweeps: a sweep file -> many scenarios -> one Parquet dataset of summary metrics.

- :mod:`gaia_sim.sweep.spec`: read and validate a sweep file (TOML) into a :class:`SweepSpec`.
- :mod:`gaia_sim.sweep.design`: design points (grid, zip, Latin hypercube, Sobol) and replicate seeds.
- :mod:`gaia_sim.sweep.cells`: one cell = one design point x one replicate = one ``simulate()`` call.
- :mod:`gaia_sim.sweep.execute`: serial, local process pool or Dask distributed; same rows either way.
- :mod:`gaia_sim.sweep.lifeline`, :mod:`gaia_sim.sweep.dask_local`: workers end with the sweep (signals,
  parent death), on a pool and on a local Dask cluster.
- :mod:`gaia_sim.sweep.store`: atomic per-cell files, resume, consolidated ``results.parquet`` + manifest.
- :mod:`gaia_sim.sweep.engine`: :func:`run_sweep` ties them together.
- :mod:`gaia_sim.sweep.sensitivity`: Sobol indices (SALib).
- :mod:`gaia_sim.sweep.report`: summary tables and phase diagrams (PNG via matplotlib, HTML via plotly).
- :mod:`gaia_sim.sweep.redteam`: an optimiser (Optuna) searching the attack that pays a cheater most.
- :mod:`gaia_sim.sweep.toy`: a toy stand-in backend for testing and benchmarking the machinery only.

Nothing is imported at package import time; import the submodule you need.
"""
