"""Health checks: is this real server answering? Nothing here knows about IPVS.

The daemon hands the engine (engine.py) a key, a Target and a CheckSpec per real; the engine
runs every check on one selector loop, each on its own interval and with its own timeout, and
hands back (key, Result) pairs. state.py turns a stream of results into up/down with rise/fall.
The daemon alone turns that into weights: a check never touches the kernel table.

One module per check type (connect, http, tcpchat, external, ping, none). Each exposes
`probe(target, spec)`, a generator that yields what it waits for (probe.py has the contract)
and is imported only when a check of its type exists, so `ssl` and `subprocess` are loaded
only by configs that use https or external checks.
"""
