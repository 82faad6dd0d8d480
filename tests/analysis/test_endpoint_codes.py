"""Endpoints read off the engine's own codes must group rows exactly as the names do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import k8sviz
from k8sviz.analysis._common import edge_frame, endpoint_codes
from k8sviz.report._render import _text_ordered
from k8sviz.snapshot import SnapshotBuilder
from k8sviz.synth import generate_cluster


@pytest.fixture(scope="module", params=[(300, 40, 2), (800, 90, 9)])
def reach(request):
    pods, policies, seed = request.param
    b = SnapshotBuilder()
    for o in generate_cluster(pods=pods, policies=policies, seed=seed):
        b.add(o, "test")
    return k8sviz.reachability(b.build(cluster="test", collected_at="2026-06-01T00:00:00Z"))


@pytest.mark.parametrize("level", ["workload", "pod"])
@pytest.mark.parametrize("col", ["src", "dst"])
def test_codes_of_the_cached_frame_are_those_of_factorize(reach, level, col):
    frame = edge_frame(reach, level)
    codes, names = endpoint_codes(reach, frame, level, col)
    want_codes, want_names = pd.factorize(frame[col])
    assert np.array_equal(codes, want_codes)
    assert names.tolist() == list(want_names)


def test_another_frame_is_factorized_itself(reach):
    frame = edge_frame(reach, "workload")
    copy = frame.iloc[::-1].reset_index(drop=True)  # not the cached frame: its codes do not apply
    codes, names = endpoint_codes(reach, copy, "workload", "src")
    want_codes, want_names = pd.factorize(copy["src"])
    assert np.array_equal(codes, want_codes) and names.tolist() == list(want_names)


def test_the_report_orders_endpoints_as_a_categorical_of_their_text(reach):
    frame = edge_frame(reach, "workload")
    for col in ("src", "dst"):
        got = _text_ordered(reach, frame, col)
        want = pd.Categorical(frame[col])
        assert list(got.categories) == list(want.categories)
        assert np.array_equal(got.codes, want.codes)


@pytest.mark.parametrize("level", ["workload", "pod"])
def test_port_list_codes_number_the_list_objects(reach, level):
    from k8sviz.analysis._common import port_list_codes

    frame = edge_frame(reach, level)
    ids = np.fromiter(map(id, frame["ports"]), dtype=np.int64, count=len(frame))
    assert np.array_equal(port_list_codes(reach, frame, level), pd.factorize(ids)[0])
    copy = frame.iloc[::2]
    ids = np.fromiter(map(id, copy["ports"]), dtype=np.int64, count=len(copy))
    assert np.array_equal(port_list_codes(reach, copy, level), pd.factorize(ids)[0])
