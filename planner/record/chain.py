"""The audit trail's hash chain: each event's SHA-256 covers its content and the previous
event's hash, so an event edited, deleted or moved breaks every hash after it, and the
verifier names the first event where the chain no longer holds."""
from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64


def canonical(value):
    """The one JSON text of ``value`` every digest is taken over (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(value):
    """``sha256:`` + hex of the canonical JSON of ``value`` (a row's content)."""
    return "sha256:" + hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


CHAINED = ("seq", "at", "actor", "action", "child_ref", "kind", "target_id", "detail")


def event_hash(event, prev_hash):
    """The hash of one audit event (a mapping with the CHAINED fields) after ``prev_hash``."""
    body = canonical({name: event[name] for name in CHAINED})
    return hashlib.sha256(f"{prev_hash}\n{body}".encode("utf-8")).hexdigest()


def first_break(events):
    """(seq, what is wrong) of the first event in ``events`` (in stored order) that breaks
    the chain, or None when every link holds."""
    prev, expected_seq = GENESIS, 1
    for event in events:
        if event["seq"] != expected_seq:
            return event["seq"], (f"expected event {expected_seq} here: an event was deleted"
                                  if event["seq"] > expected_seq else "out of order")
        if event["prev_hash"] != prev:
            return event["seq"], "does not follow the event before it (an event before it was edited, deleted or moved)"
        if event_hash(event, prev) != event["hash"]:
            return event["seq"], "its content was edited after it was written"
        prev, expected_seq = event["hash"], expected_seq + 1
    return None
