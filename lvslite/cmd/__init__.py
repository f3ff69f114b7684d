"""One module per `lvslite` subcommand: add_arguments(parser) and run(args) -> int.

A command parses its arguments, calls the agent's modules and prints; nothing else. What the
commands share (exit codes, the error printer, where the config is) lives in the lvslite
package itself.
"""
