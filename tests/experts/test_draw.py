"""The verifiable draw: anyone holding the published commitments and the revealed secrets gets the
same committee, and any change to the inputs shows."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.experts import draw

CANDIDATES = [f"E{i:03d}" for i in range(1, 11)]
KNOWN_ORDER = ["E004", "E008", "E009", "E002", "E001", "E010", "E006", "E005", "E003", "E007"]
KNOWN_SEED = "a9c14f69cb75fc6ae1b7379a99d0af2583afc841ab1d367bfabae1879a6d94f4"


def test_known_answer_pins_the_algorithm_for_outside_verifiers():
    # docs/draw.md gives the same vector: ten candidates, seed of 32 zero bytes.
    assert draw.order(CANDIDATES, "00" * 32) == KNOWN_ORDER
    assert draw.seed_of("11" * 32, "head:abc", ["tenderer:7", "regulator:9"]) == KNOWN_SEED


def test_a_published_draw_replays_to_the_same_committee():
    commitment, revealed = draw.commit(CANDIDATES)
    seed = draw.seed_of(revealed.secret, "chain-head-1234", ["招标人:42"])
    drawn = draw.order(CANDIDATES, seed)
    committee = draw.committee(drawn, size=5, declined={drawn[1]})
    # Later, anyone with the published material:
    again = draw.replay(
        candidates=CANDIDATES, revealed=revealed, commitment=commitment,
        public_value="chain-head-1234", contributions=["招标人:42"],
    )  # fmt: skip
    assert again == drawn
    assert draw.committee(again, size=5, declined={drawn[1]}) == committee
    assert committee == [drawn[0], *drawn[2:6]]  # the decline is replaced by the next in order


@pytest.mark.parametrize("change", ["candidate", "order", "salt", "secret", "list"])
def test_any_change_to_the_published_inputs_is_caught(change):
    commitment, revealed = draw.commit(CANDIDATES)
    candidates = list(CANDIDATES)
    if change == "candidate":
        candidates[3] = "E999"  # someone not on the committed list
    elif change == "order":
        candidates[0], candidates[1] = candidates[1], candidates[0]
    elif change == "salt":
        revealed = draw.Secrets(revealed.secret, ("00" * 16, *revealed.salts[1:]))
    elif change == "secret":
        revealed = draw.Secrets("22" * 32, revealed.salts)  # a different secret than committed
    else:
        commitment = draw.Commitment(commitment.candidate_hashes, "0" * 64, commitment.secret_commitment)
    with pytest.raises(draw.DrawMismatch) as e:
        draw.replay(candidates=candidates, revealed=revealed, commitment=commitment, public_value="x")
    assert e.value.what


def test_a_later_public_value_changes_the_outcome():
    """The centre commits before the public value exists, so it cannot grind seeds."""
    _, revealed = draw.commit(CANDIDATES)
    orders = {tuple(draw.order(CANDIDATES, draw.seed_of(revealed.secret, f"head-{i}"))) for i in range(20)}
    assert len(orders) == 20


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=8), min_size=0, max_size=40, unique=True), st.binary(min_size=32, max_size=32)
)
def test_the_order_is_a_permutation_and_deterministic(candidates, seed):
    drawn = draw.order(candidates, seed.hex())
    assert sorted(drawn) == sorted(candidates)
    assert drawn == draw.order(candidates, seed.hex())


def test_every_candidate_is_equally_likely_first():
    """3,000 fixed seeds, five candidates: each comes first 600 ± 90 times (about 4 standard
    deviations; the seeds are fixed, so this cannot flake)."""
    five = CANDIDATES[:5]
    firsts = Counter(draw.order(five, draw.seed_of("ab" * 32, str(i)))[0] for i in range(3000))
    assert set(firsts) == set(five)
    assert all(abs(n - 600) <= 90 for n in firsts.values()), firsts


def test_rejection_sampling_skips_the_biased_tail():
    n = 3
    limit = (1 << 64) - ((1 << 64) % n)
    assert draw._below(iter([limit, limit + 1, 7]), n) == 7 % n  # the first two would bias 0 and 1


def test_duplicate_candidates_are_refused():
    with pytest.raises(ValueError):
        draw.commit(["E001", "E001"])


def test_the_random_stream_is_plain_hmac_sm3_as_openssl_computes_it(tmp_path):
    """An outside verifier can rebuild the stream with any HMAC-SM3: here the openssl command."""
    import shutil
    import subprocess

    assert shutil.which("openssl"), "the openssl command is a declared test dependency"
    seed = draw.seed_of("11" * 32, "head:abc")
    stream = draw._stream(seed)
    ours = "".join(f"{next(stream):016x}" for _ in range(8))  # counters 0 and 1
    theirs = ""
    for counter in (0, 1):
        msg = tmp_path / f"c{counter}"
        msg.write_bytes(counter.to_bytes(8, "big"))
        out = subprocess.run(
            ["openssl", "mac", "-digest", "SM3", "-macopt", f"hexkey:{seed}", "-in", str(msg), "HMAC"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        theirs += out.stdout.strip().lower()
    assert ours == theirs
