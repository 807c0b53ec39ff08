# Sourced by the set-up scripts. `quietly COMMAND...` runs an apt command with its own output
# (progress, debconf and policy-rc.d notes, which read like failures) going to $APT_LOG, not the
# screen; on a failure its last lines are shown and the caller's `die` names the log.
APT_LOG=${SHIPSHAPE_APT_LOG:-/var/log/shipshape-setup-apt.log}
quietly() {
  "$@" >>"$APT_LOG" 2>&1 || { tail -20 "$APT_LOG" >&2; die "$1 failed (above; the whole log: $APT_LOG)"; }
}
