"""Analyses over a snapshot and its reachability: graph, zones, segmentation, gaps, blast radius.

Everything here reads results of lower layers (snapshot, policy engine, flows) and returns
DataFrames, networkx graphs or small result objects with an escaped ``_repr_html_``:

==========================================  ==================================================
``k8sviz.graph(snap, reach, flows)``        networkx.MultiDiGraph (:mod:`.graph`)
``k8sviz.load_zones(path)``                 :class:`.zones.Zones` (segmentation intent)
``k8sviz.segmentation(snap, reach, zones)`` zone matrix + violations (:mod:`.segmentation`)
``k8sviz.gaps(snap, reach, flows, zones)``  findings mapped to controls (:mod:`.gaps`)
``k8sviz.policy_inventory(snap)``           every policy in one table (:mod:`.inventory`)
``k8sviz.controls_summary(gaps_df)``        pass/fail/manual per control (:mod:`.controls`)
``k8sviz.reachability_diff(before, after)`` connections opened/closed (:mod:`.diff`)
``k8sviz.policy_diff(before, after)``       policies added/removed/modified (:mod:`.diff`)
``k8sviz.findings_diff(gaps_a, gaps_b)``    findings new/changed/resolved (:mod:`.diff`)
``k8sviz.blast_radius(reach, start)``       assume breach (:mod:`.blast`)
``k8sviz.internet_paths(reach, zone)``      internet -> zone shortest paths (:mod:`.blast`)
==========================================  ==================================================
"""
