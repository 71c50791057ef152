"""A backfill's reader is forked from a daemon whose other threads may hold shared
locks at that instant; what the child uses must not stay locked for ever."""

from __future__ import annotations

import os
import signal
import threading

import msal

from connectors.auth import microsoft


def test_a_child_forked_while_another_thread_holds_an_app_token_cache_can_use_it() -> None:
    key = ("https://login.example", "tenant", "client")
    cache = microsoft._APP_TOKENS.setdefault(key, msal.SerializableTokenCache())
    held, release = threading.Event(), threading.Event()

    def another_source() -> None:
        with cache._lock:  # as MSAL holds it while another source reads its token
            held.set()
            release.wait(10)

    thread = threading.Thread(target=another_source)
    thread.start()
    try:
        assert held.wait(5)
        child = os.fork()
        if child == 0:  # the reader: it looks its token up, as a backfill does first
            signal.alarm(3)  # a lock that is never released ends the child this way
            cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)
            os._exit(0)
        _, status = os.waitpid(child, 0)
    finally:
        release.set()
        thread.join()
        del microsoft._APP_TOKENS[key]
    assert os.waitstatus_to_exitcode(status) == 0
