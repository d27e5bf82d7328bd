"""Plotly figure builders: arrays in, ``go.Figure`` out. No chart trains; no model draws."""
