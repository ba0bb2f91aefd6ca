"""`seqplan serve` as it runs for real: gunicorn with worker processes and threads, on a
free loopback port. An idle connection blocks no one, a burst of plans all succeed, and
every error the API gives is JSON."""
from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

EXAMPLE = yaml.safe_load((Path(__file__).resolve().parent.parent / "examples" / "teen-cortical.yaml").read_text())


@pytest.fixture(scope="module")
def server():
    process = subprocess.Popen([sys.executable, "-m", "planner.cli", "serve", "--port", "0"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        line = process.stderr.readline()
        match = re.search(r"serving on (http://127\.0\.0\.1:\d+)/", line)
        assert match, line
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=60)


def post(base, path, body, timeout=120):
    data = body if isinstance(body, bytes) else json.dumps(body, default=str).encode()
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_it_binds_loopback_says_where_and_serves_the_home_page(server):
    """The real command binds 127.0.0.1 by default (the fixture read where from its first line)."""
    with urllib.request.urlopen(server + "/", timeout=120) as response:
        assert response.status == 200 and b"Teaching vignettes" in response.read()


def test_an_idle_connection_blocks_nobody(server):
    """The old single-threaded server stopped answering anyone while one TCP connection sat idle."""
    host, port = server.removeprefix("http://").split(":")
    idle = [socket.create_connection((host, int(port))) for _ in range(3)]
    try:
        with urllib.request.urlopen(server + "/", timeout=20) as response:
            assert response.status == 200
    finally:
        for connection in idle:
            connection.close()


def test_clients_that_send_part_of_a_request_block_nobody_for_long():
    """gthread read a request with blocking calls and no deadline: a dozen connections that
    sent part of a request (half a header, or a header and a short body) stopped the server
    answering anyone until they closed. Each is now dropped after SEQPLAN_REQUEST_SECONDS."""
    import os
    import time

    process = subprocess.Popen([sys.executable, "-m", "planner.cli", "serve", "--port", "0"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                               env=dict(os.environ, SEQPLAN_REQUEST_SECONDS="1"))
    slow = []
    try:
        base = re.search(r"serving on (http://127\.0\.0\.1:\d+)/", process.stderr.readline()).group(1)
        host, port = base.removeprefix("http://").split(":")
        for n in range(24):          # more than the server's threads (2 workers x 8)
            connection = socket.create_connection((host, int(port)))
            connection.sendall(b"POST /api/plan HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                               b"Content-Length: 100000\r\n\r\n{" if n % 2 else b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-")
            slow.append(connection)
        time.sleep(1)
        start = time.monotonic()
        with urllib.request.urlopen(base + "/", timeout=30) as response:
            assert response.status == 200
        assert time.monotonic() - start < 15
        for connection in slow:      # each was answered or closed, not kept waiting
            connection.settimeout(15)
            answer = connection.recv(65536)      # the end of the connection, or a 400
            assert answer == b"" or answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    finally:
        for connection in slow:
            connection.close()
        process.terminate()
        process.wait(timeout=60)


def test_a_burst_of_plans_all_succeed(server):
    """24 plans from 8 clients at once (bounded: a load test, not a benchmark)."""
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: post(server, "/api/plan", {"assessment": EXAMPLE}), range(24)))
    assert [status for status, _ in answers] == [200] * 24
    assert len({json.dumps(body, sort_keys=True) for _, body in answers}) == 1


def test_a_bounded_load_of_what_ifs_all_succeed(server):
    """50 what-ifs (two plans each) from 8 clients at once on 127.0.0.1: no errors, every
    answer the same for the same edit (a load test; latency is benchmarks/whatif_server.py's)."""
    edits = [{"sleep": 9}, {"current.arousal": "calm"}, {"context.avoid": []}, {"cardiovascular": 11}, {}]
    bodies = [{"assessment": EXAMPLE, "set": edits[i % len(edits)]} for i in range(50)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda body: post(server, "/api/whatif", body), bodies))
    assert [status for status, _ in answers] == [200] * 50, [a for a in answers if a[0] != 200][:1]
    for i in range(len(edits)):
        assert len({json.dumps(body, sort_keys=True) for _, body in answers[i::len(edits)]}) == 1


@pytest.mark.parametrize("body, status", [
    (b"[" * 100_000 + b"]" * 100_000, 400),          # nested 100,000 deep
    (b"{not json", 400),
    (b'{"assessment": 5}', 400),
])
def test_every_api_error_is_a_json_body(server, body, status):
    got, answer = post(server, "/api/plan", body)
    assert got == status and answer["error"]["message"]


def test_an_unknown_api_path_is_json_too(server):
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(server + "/api/nope", timeout=20)
    assert caught.value.code == 404 and json.loads(caught.value.read())["error"]["message"]


def test_an_ipv6_loopback_server_answers_its_own_name_and_no_other():
    """`seqplan serve --host ::1` answered 400 to every browser (werkzeug's trusted-host
    check never matches an IPv6 name)."""
    from planner.web.app import LOOPBACK_HOSTS, create_app

    client = create_app(trusted_hosts=LOOPBACK_HOSTS).test_client()
    assert client.get("/", headers={"Host": "[::1]:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "127.0.0.1:8765"}).status_code == 200
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "[::2]:8765"}).status_code == 400
