#!/usr/bin/env bash
# Wrapper: SIGKILL during updates and merges, the index survives (tests/reliability/kill_update.sh).
exec bash "$SRC/tests/reliability/kill_update.sh"
