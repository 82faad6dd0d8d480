"""Analyses over a snapshot and its reachability: graph, zones, segmentation, gaps, blast radius.

Everything here reads results of lower layers (snapshot, policy engine, flows) and returns
DataFrames, networkx graphs or small result objects with an escaped ``_repr_html_``.
"""
