"""Pieces of the wire-level fake Google server (see ``tests/fake_google.py``).

Each module holds one concern: the error and fault vocabulary, the OAuth token
endpoint, partial responses, the batch wire format, and the Gmail and Calendar
stores and handlers. Only ``tests/fake_google.py`` ties them to a socket.
"""
