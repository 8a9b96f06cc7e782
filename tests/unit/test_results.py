"""The one result store (aelab.runtime.results) and the cache identity it keys on (aelab.runtime.identity)."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from aelab.runtime.identity import (
    PUBLIC,
    CacheIdentity,
    combine_weights,
    content_identity,
    digest_arrays,
    weights_digest,
)
from aelab.runtime.results import ResultStore, estimate_bytes


def ident(data: str = "d", weights: str = "w", owner: str = PUBLIC) -> CacheIdentity:
    return CacheIdentity(data, weights, owner)


def test_entry_bound_drops_the_least_recently_used():
    store = ResultStore(max_entries=3)
    for i in range(3):
        store.put(ident(f"d{i}"), "codes", (), i)
    assert store.get(ident("d0"), "codes") == 0  # d0 is now the most recently used; d1 the least
    store.put(ident("d3"), "codes", (), 3)
    assert len(store) == 3
    assert store.get(ident("d1"), "codes") is None
    assert [store.get(ident(f"d{i}"), "codes") for i in (0, 2, 3)] == [0, 2, 3]


def test_byte_bound_is_respected_and_an_oversized_value_is_not_kept():
    store = ResultStore(max_entries=100, max_bytes=10_000)
    for i in range(10):
        store.put(ident(f"d{i}"), "codes", (), np.zeros(1500, np.uint8))  # 1,500 bytes each: 6 fit
        assert store.stats().bytes <= 10_000
    assert len(store) == 6
    assert store.get(ident("d9"), "codes") is not None and store.get(ident("d0"), "codes") is None
    huge = store.put(ident("big"), "codes", (), np.zeros(20_000, np.uint8))
    assert huge.shape == (20_000,) and store.get(ident("big"), "codes") is None  # returned, not stored
    assert store.stats().bytes <= 10_000


def test_owner_share_and_eviction_leave_other_owners_alone():
    store = ResultStore(max_entries=100, owner_max_entries=2)
    for data in ("shipped", "bundled", "downloaded"):  # public results, which every session uses, have no share
        store.put(ident(data), "codes", (), "public")
    for i in range(4):
        store.put(ident(f"upload{i}", owner="session-a"), "codes", (), i)
    store.put(ident("upload", owner="session-b"), "codes", (), "b")
    stats = store.stats()
    assert stats.owners == {PUBLIC: 3, "session-a": 2, "session-b": 1}  # a's share holds its two newest
    assert store.get(ident("upload3", owner="session-a"), "codes") == 3
    assert store.get(ident("upload0", owner="session-a"), "codes") is None

    assert store.evict_owner("session-a") == 2
    assert store.evict_owner("session-a") == 0
    assert store.get(ident("shipped"), "codes") == "public"
    assert store.get(ident("upload", owner="session-b"), "codes") == "b"
    assert store.stats().owners == {PUBLIC: 3, "session-b": 1}
    assert store.stats().bytes == sum(estimate_bytes(v) for v in ("public",) * 3 + ("b",))


def test_two_identities_or_params_never_share_an_entry():
    store = ResultStore()
    keys = [ident("a", "w"), ident("a", "v"), ident("b", "w"), ident("a", "w", "session"),
            ident("a/b", "c"), ident("a", "b/c")]  # the last two would collide as "owner/data/weights" joined by "/"
    for i, key in enumerate(keys):
        store.put(key, "codes", (), i)
    assert [store.get(key, "codes") for key in keys] == list(range(len(keys)))
    assert len({str(key) for key in keys}) == len(keys)  # the string form (st.cache_data's argument) too
    store.put(keys[0], "codes", {"n": 5, "dims": [0, 1]}, "five")
    assert store.get(keys[0], "codes", {"dims": (0, 1), "n": 5}) == "five"  # dict order and list/tuple alike
    assert store.get(keys[0], "codes", {"n": 6, "dims": [0, 1]}) is None
    assert store.get(keys[0], "kl") is None


def test_get_or_compute_computes_once_across_threads():
    store = ResultStore()
    calls = []

    def compute():
        calls.append(1)
        time.sleep(0.05)  # long enough for every thread to arrive while the first computes
        return "fitted"

    results = []
    threads = [threading.Thread(target=lambda: results.append(store.get_or_compute(ident(), "umap", {}, compute)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["fitted"] * 8 and len(calls) == 1


def test_a_failed_compute_stores_nothing_and_the_next_caller_retries():
    store = ResultStore()

    def fail():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        store.get_or_compute(ident(), "umap", {}, fail)
    assert store.get_or_compute(ident(), "umap", {}, lambda: 7) == 7


def test_many_threads_reading_writing_and_evicting_keep_the_bounds():
    store = ResultStore(max_entries=20, max_bytes=50_000, owner_max_entries=8)
    errors = []

    def worker(n: int) -> None:
        try:
            for i in range(300):
                owner = f"s{n}" if i % 2 else PUBLIC
                store.put(ident(f"d{i % 30}", owner=owner), "x", i % 3, np.zeros(100, np.float32))
                store.get(ident(f"d{(i * 7) % 30}", owner=owner), "x", i % 3)
                if i % 50 == 0:
                    store.evict_owner(f"s{(n + 1) % 6}")
        except Exception as err:  # noqa: BLE001 (reported below, from the main thread)
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stats = store.stats()
    assert not errors
    assert stats.entries <= 20 and stats.bytes <= 50_000
    assert all(count <= 8 for owner, count in stats.owners.items() if owner != PUBLIC)
    assert sum(stats.owners.values()) == stats.entries


def test_only_a_cache_identity_keys_a_result():
    with pytest.raises(TypeError):
        ResultStore().put("public/d/w", "codes", (), 1)  # a hand-made string is not an identity


def test_estimated_bytes_count_array_and_tensor_buffers():
    assert estimate_bytes(np.zeros((100, 10), np.float32)) == 4000
    assert estimate_bytes(torch.zeros(100, 10)) == 4000
    assert estimate_bytes({"a": np.zeros(1000, np.uint8), "b": [torch.zeros(250)]}) > 2000
    shared = np.zeros(1000, np.uint8)
    assert estimate_bytes([shared, shared]) < 2000  # counted once


def test_weights_and_content_digests():
    model = torch.nn.Linear(3, 2)
    same = torch.nn.Linear(3, 2)
    same.load_state_dict(model.state_dict())
    assert weights_digest(model) == weights_digest(same)
    with torch.no_grad():
        same.weight[0, 0] += 1e-3
    assert weights_digest(model) != weights_digest(same)
    x = np.arange(6, dtype=np.float32)
    assert digest_arrays([("x", x)]) != digest_arrays([("x", x.reshape(2, 3))])  # the shape counts
    assert digest_arrays([("x", x)]) != digest_arrays([("x", x.astype(np.float64))])  # and the dtype
    assert content_identity([("x", x)]).startswith("sha256:")
    assert combine_weights(["a", "b"]) != combine_weights(["b", "a"]) and combine_weights([]) == "-"
