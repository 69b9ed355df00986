#!/usr/bin/env bash
# Wrapper: SIGKILL during `quarry index`, the index survives (tests/reliability/kill_build.sh).
exec bash "$SRC/tests/reliability/kill_build.sh"
