"""A worker whose site is gone (stopping, restarting) says so once, in one line, and keeps working."""
from __future__ import annotations

import logging
import socket

import pytest

from review.jobs import live


@pytest.fixture
def closed_relay(settings):
    """A relay URL on a port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.FACEREPLACE_EVENT_RELAY_URL = f"http://127.0.0.1:{port}/internal/relay/"
    live._unreachable = False
    yield
    live._unreachable = False


def test_an_unreachable_site_is_one_warning_without_a_traceback(closed_relay, caplog):
    with caplog.at_level(logging.DEBUG, logger="review.jobs.live"):
        for progress in range(5):
            live.jobs_group_send(1, {"type": "job.updated", "progress": progress})
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert warnings[0].exc_info is None and "unreachable" in warnings[0].getMessage()
    assert "job.updated" in warnings[0].getMessage() and "jobs_1" in warnings[0].getMessage()
    assert sum(r.levelno == logging.DEBUG for r in caplog.records if r.name == "review.jobs.live") == 4


def test_once_the_site_is_back_a_later_outage_is_said_again(closed_relay, caplog, monkeypatch):
    with caplog.at_level(logging.WARNING, logger="review.jobs.live"):
        live.group_send("board_1", {"type": "job.updated"})
        monkeypatch.setattr(live, "send_to_groups", lambda groups, event: None)  # the site answers again
        live.group_send("board_1", {"type": "job.updated"})
        monkeypatch.undo()
        live.group_send("board_1", {"type": "job.updated"})
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_a_broken_channel_layer_still_shows_its_traceback(settings, caplog, monkeypatch):
    def broken(groups, event):
        raise ValueError("the layer cannot encode this")
    monkeypatch.setattr(live, "send_to_groups", broken)
    with caplog.at_level(logging.ERROR, logger="review.jobs.live"):
        live.group_send("board_1", {"type": "job.updated"})
    assert len(caplog.records) == 1 and caplog.records[0].exc_info is not None
