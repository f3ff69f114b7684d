"""`lvslite run`: the daemon in the foreground (init scripts supervise it).

Start-up order: the config is validated completely (exit 1 and nothing touched if it is
wrong), then the state directory and pid file, then the kernel (exit 3 if IPVS cannot be
reached), then the loop. Logs go to syslog (/dev/log) when there is one, else to stderr.
"""
from __future__ import annotations

import logging
import os
import sys

from lvslite import EXIT_INVALID, EXIT_KERNEL, EXIT_OK, config_path, error


def add_arguments(parser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE",
                        help="config file (default $LVSLITE_CONFIG or /etc/lvslite.json)")
    parser.add_argument("--backend", choices=("netlink", "ipvsadm"), default="netlink",
                        help="how to talk to the kernel (default: netlink)")
    parser.add_argument("--no-sysctl", action="store_true",
                        help="leave net.ipv4.vs.expire_nodest_conn and "
                             "expire_quiescent_template as they are (default: set both to 1)")
    parser.add_argument("--log", choices=("auto", "syslog", "stderr"), default="auto",
                        help="where to log (auto: syslog when /dev/log exists)")


def setup_logging(where: str) -> None:
    logger = logging.getLogger("lvslite")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if where == "syslog" or (where == "auto" and os.path.exists("/dev/log")):
        from logging.handlers import SysLogHandler
        handler = SysLogHandler(address="/dev/log", facility=SysLogHandler.LOG_DAEMON)
        handler.setFormatter(logging.Formatter(f"lvslite[{os.getpid()}]: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s lvslite: %(message)s",
                                               "%H:%M:%S"))
    logger.handlers[:] = [handler]


def run(args) -> int:
    from lvslite.checks.spec import CheckError
    from lvslite.config import ConfigError
    from lvslite.daemon import SYSCTLS, Daemon, install_signals, set_sysctls
    from lvslite.ipvs import IPVSError, open_backend
    from lvslite.state import PID_FILE, StateError, ensure_dir

    path = config_path(args)
    daemon = Daemon(path, None, state_dir="")
    try:
        daemon.load_config()
    except (ConfigError, CheckError) as exc:
        error(str(exc))
        return EXIT_INVALID
    try:
        daemon.state_dir = ensure_dir()
    except StateError as exc:
        error(str(exc))
        return EXIT_INVALID
    setup_logging(args.log)
    log = logging.getLogger("lvslite")
    try:
        daemon.backend = open_backend(args.backend)
    except IPVSError as exc:
        error(str(exc))
        return EXIT_KERNEL
    pid_path = os.path.join(daemon.state_dir, PID_FILE)
    with open(pid_path, "w") as fh:
        fh.write(f"{os.getpid()}\n")
    try:
        if not args.no_sysctl:
            for problem in set_sysctls(SYSCTLS):
                log.warning("%s", problem)
        install_signals(daemon)
        log.info("started: %s, %d services, %d reals checked", path,
                 len(daemon.config.services), len(daemon.plan))
        daemon.run()
        log.info("stopping on signal; the kernel table is left as it is")
    finally:
        daemon.engine.close()
        daemon.backend.close()
        try:
            os.unlink(pid_path)
        except OSError:
            pass
    return EXIT_OK
