"""lvslite wear: how fast the box writes to its CompactFlash card, and how long the card lasts.

The seed's experience report: CF cards in small directors died after ~23 days from write
pressure and heat. This package samples the kernel's block write counters without writing to
any block device itself (model.py is the lifetime model, shared with bench/; diskstats.py
parses counters; sample.py takes snapshots; report.py turns them into rates and lifetimes;
writers.py finds the processes that wrote; cli.py is the `lvslite wear` command).
Importing the package imports nothing: each command imports only the modules it needs.
"""
