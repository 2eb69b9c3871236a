"""Recording: captures of a client's events, their rows, DataFrames, Parquet datasets and replay.

Nothing here draws anything; the views in :mod:`..views` read what is recorded here.
"""
