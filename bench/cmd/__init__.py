"""One module per `python -m bench` subcommand: add_arguments(parser) and run(args) -> int."""
