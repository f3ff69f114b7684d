"""One module per `lvslite` subcommand: add_arguments(parser) and run(args) -> int."""
