"""Dash dashboard for gaia-sim: run, sweep, detector and network pages (``gaia-sim dashboard``)."""
