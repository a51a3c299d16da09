"""Ports handed out for private brokers, stores and platforms (stack.ports)."""

import socket

import pytest

from stack import ports


@pytest.fixture
def port_range(monkeypatch):
    monkeypatch.setenv("HALL_FREE_PORTS", "21000-21040")
    monkeypatch.setattr(ports, "_cursor", None)


def test_a_process_never_hands_out_the_same_port_twice_before_the_range_wraps(port_range):
    handed = [ports.free_port() for _ in range(20)]
    assert len(set(handed)) == 20
    assert all(21000 <= port < 21040 for port in handed)


def test_a_port_someone_holds_is_skipped(port_range, monkeypatch):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 21000))
        monkeypatch.setattr(ports, "_cursor", 0)
        assert ports.free_port() == 21001


def test_consecutive_ports_are_all_free(port_range, monkeypatch):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 21002))
        monkeypatch.setattr(ports, "_cursor", 0)
        base = ports.free_port_range(3)
    assert base >= 21003
