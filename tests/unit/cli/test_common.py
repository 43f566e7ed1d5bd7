"""Driver log records during a run: one line each, and none once it is interrupted."""

from __future__ import annotations

import logging

import pytest

from bakeoff.cli import common
from bakeoff.cli.common import one_line_driver_logs


def test_a_driver_error_is_one_line_without_its_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logger = logging.getLogger("psycopg")
    # A test before this one may have interrupted a run in this process, which silences
    # the drivers for the rest of it (as the process would end).
    logger.disabled = False
    with one_line_driver_logs():
        try:
            raise ConnectionError("server closed the connection\nunexpectedly")
        except ConnectionError:
            logger.exception("error ignored in rollback")
    assert capsys.readouterr().err == "psycopg: error ignored in rollback\n"


def test_interrupted_runs_silence_the_drivers(capsys: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("redis")
    try:
        with pytest.raises(KeyboardInterrupt), one_line_driver_logs():
            raise KeyboardInterrupt
        logger.error("Connection reset by peer")
        assert capsys.readouterr().err == ""
    finally:
        for name in common.DRIVER_LOGGERS:
            logging.getLogger(name).disabled = False


def test_drivers_are_quiet_once_a_signal_stops_the_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    logger = logging.getLogger("psycopg")
    # A test before this one may have interrupted a run in this process, which silences
    # the drivers for the rest of it (as the process would end).
    logger.disabled = False
    with one_line_driver_logs():
        monkeypatch.setattr(common, "stopping", lambda: True)
        logger.warning("connection lost")
        monkeypatch.setattr(common, "stopping", lambda: False)
        logger.warning("connection slow")
    assert capsys.readouterr().err == "psycopg: connection slow\n"
