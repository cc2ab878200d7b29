"""``azure-emulator serve`` runs the emulator; ``azure-emulator env`` prints the shell lines that use it."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from . import Emulator
from . import Settings
from . import settings_from_env


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(asctime)s %(name)s %(message)s"
    )
    emulator = Emulator(
        state_file=args.state_file,
        seed_file=args.seed_file,
        ca_dir=args.ca_dir,
        settings=startup_settings(args),
    ).start(args.port)
    info = {**emulator.ready_info(), "pid": os.getpid()}
    if args.ready_file:
        tmp = Path(str(args.ready_file) + ".tmp")
        # It holds the seeded client secret: owner-only, like the state file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(info, indent=2))
        os.replace(tmp, args.ready_file)  # readers never see half a file
    # The log gets everything but the secret (it stays in the ready file).
    print(json.dumps({k: v for k, v in info.items() if k != "client_secret"}), flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    emulator.stop()
    return 0


def startup_settings(args: argparse.Namespace) -> dict[str, Any]:
    """AZURE_EMULATOR_SETTINGS, then --settings (JSON), then each --setting name=value: later ones win."""
    try:
        values = settings_from_env()
        values.update(json.loads(args.settings) if args.settings else {})
        for item in args.setting or []:
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"--setting {item!r}: expected name=value")
            values[name.strip()] = value
        Settings().update(values)  # fail now, naming the setting, rather than once serving
    except ValueError as exc:  # json.JSONDecodeError is one
        raise SystemExit(f"azure-emulator: bad settings: {exc}") from exc
    return values


def env_lines(info: dict[str, Any]) -> list[str]:
    values = {
        "HTTPS_PROXY": info["proxy_url"],
        "HTTP_PROXY": info["proxy_url"],
        "NO_PROXY": "localhost,127.0.0.1",
        "REQUESTS_CA_BUNDLE": info["ca_file"],
        "AZURE_SUBSCRIPTION_ID": info["subscription_id"],
        "AZURE_CLIENT_ID": info["client_id"],
        "AZURE_SECRET": info["client_secret"],
        "AZURE_TENANT": info["tenant_id"],
    }
    return [f"export {name}={shlex.quote(str(value))}" for name, value in values.items()]


def _env(args: argparse.Namespace) -> int:
    info = json.loads(Path(args.ready_file).read_text())
    print("\n".join(env_lines(info)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azure-emulator", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the emulator (127.0.0.1 only)")
    serve.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    serve.add_argument("--state-file", type=Path, help="where state is kept across restarts")
    serve.add_argument("--seed-file", type=Path, help="JSON seed (tenants, subscriptions, principals, groups)")
    serve.add_argument("--ca-dir", type=Path, help="where the CA and token-signing key live (reused on restart)")
    serve.add_argument("--ready-file", type=Path, help="written with the connection details once listening")
    serve.add_argument("--settings", help="JSON object of settings, e.g. '{\"lro_pending_polls\": 0}'")
    serve.add_argument(
        "--setting",
        action="append",
        metavar="NAME=VALUE",
        help="one setting (repeatable), e.g. --setting grant_propagation_seconds=5; overrides --settings and "
        "the AZURE_EMULATOR_SETTINGS variable (JSON)",
    )
    serve.add_argument("-v", "--verbose", action="store_true")
    serve.set_defaults(func=_serve)
    env = sub.add_parser("env", help="print shell export lines pointing a shell at a running emulator")
    env.add_argument("--ready-file", type=Path, required=True)
    env.set_defaults(func=_env)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
