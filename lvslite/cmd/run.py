"""`lvslite run`: the daemon in the foreground (init scripts supervise it).

Start-up order: the config is validated completely (exit 1 and nothing touched if it is
wrong), then the state directory and its lock (exit 5 when another lvslite holds it: a second
daemon never starts, nor touches the first one's pid file), then the kernel (exit 3 if IPVS
cannot be reached), the pid file, then the loop. Logs go to syslog (/dev/log) when there is one, else to stderr.
"""
from __future__ import annotations

from lvslite import EXIT_BUSY, EXIT_INVALID, EXIT_KERNEL, EXIT_OK, config_path, error


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


def run(args) -> int:
    from lvslite.config import ConfigError
    from lvslite.daemon import Daemon, setup_logging
    from lvslite.ipvs import IPVSError
    from lvslite.state import LockBusy, StateError

    try:
        daemon = Daemon.open(config_path(args), args.backend)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_INVALID
    except LockBusy as exc:
        error(str(exc))
        return EXIT_BUSY
    except StateError as exc:
        error(str(exc))
        return EXIT_INVALID
    except IPVSError as exc:
        error(str(exc))
        return EXIT_KERNEL
    setup_logging(args.log)
    daemon.serve(sysctls=not args.no_sysctl)
    return EXIT_OK
