"""The capacity model: model and scenario files, compiled arrays, the numba event loop, runs
here or on Dask, and calibration from stays. Pure: it is handed plain values, never a database."""
