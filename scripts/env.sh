# Sourced by the project's scripts: one place for the shared environment.
# A persistent target folder outside the clone makes rebuilds incremental
# across clones (CI starts from a fresh clone each time); a fresh machine
# simply creates it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/mentorlive-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Incremental caches are kept per checkout path: on a CI machine that tests
# a fresh clone each time they only pile up (they once filled the disk). Set
# here, for every script, so that the app's run command reuses the tests'
# build instead of compiling every crate again.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
