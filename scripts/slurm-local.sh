#!/usr/bin/env bash
# A one-node Slurm on this machine for tests and CI: munged, slurmctld and slurmd on localhost, one
# `debug` partition, no cgroups (proctrack/linuxproc, task/none), job completion records in a text
# file so `sacct -c` answers without slurmdbd. State, logs and slurm.conf live under one folder
# (default: $TMPDIR/proda-slurm-local, or $PRODA_SLURM_DIR). Needs root and Debian's slurm-wlm + munge.
#
#   scripts/slurm-local.sh start    bring it up (idempotent); returns once sinfo shows the node idle
#   scripts/slurm-local.sh stop     stop the daemons this script started (by their pid files)
#   scripts/slurm-local.sh status   print whether it is up, and sinfo
#
# The clients (sbatch, squeue, sacct) find the config through /etc/slurm/slurm.conf, which this script
# points at its own file only when that path is free or already points here; otherwise export the
# SLURM_CONF it prints.
set -euo pipefail

DIR="${PRODA_SLURM_DIR:-${TMPDIR:-/tmp}/proda-slurm-local}"
CONF="$DIR/slurm.conf"
ETC_CONF=/etc/slurm/slurm.conf
HOST="$(hostname -s)"
export SLURM_CONF="$CONF"

say() { printf 'slurm-local: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# A pid file's process is ours and alive.
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if munge_ok; then return; fi
  if [ ! -s /etc/munge/munge.key ]; then
    say "generating /etc/munge/munge.key"
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid
  # munged (as user munge) cannot write here; the copy marks it as started by this script for `stop`.
  for _ in $(seq 50); do
    if munge_ok; then cp /run/munge/munged.pid "$DIR/munged.pid"; return; fi
    sleep 0.1
  done
  die "munged did not come up (see /var/log/munge/munged.log)"
}

write_conf() {
  # The node's CPUs and memory as slurmd itself detects them; 512 MiB are kept for the system.
  local detected cpus mem
  detected="$(slurmd -C | head -1)"
  cpus="$(sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' <<<"$detected")"
  mem="$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$detected")"
  [ -n "$cpus" ] && [ -n "$mem" ] || die "could not read CPUs and memory from 'slurmd -C': $detected"
  mem=$(( mem > 1024 ? mem - 512 : mem ))
  cat >"$CONF.tmp" <<EOF
# Written by scripts/slurm-local.sh: a one-node test cluster. Not for production.
ClusterName=proda-local
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/slurmd
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to scontrol for an hour; a time-limit kill gets SIGKILL 5 s after SIGTERM.
MinJobAge=3600
KillWait=5
OverTimeLimit=0
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
  mv "$CONF.tmp" "$CONF"
}

link_conf() {
  if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then return; fi
  if [ -e "$ETC_CONF" ] || [ -L "$ETC_CONF" ]; then
    say "$ETC_CONF exists and is not ours; clients need: export SLURM_CONF=$CONF"
    return
  fi
  mkdir -p /etc/slurm
  ln -s "$CONF" "$ETC_CONF"
}

node_state() { sinfo -h -N -n "$HOST" -o '%T' 2>/dev/null | head -1; }

start() {
  [ "$(id -u)" = 0 ] || die "needs root (slurmd runs jobs as their users)"
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null ||
    die "slurm-wlm and munge are not installed (apt-get install -y slurm-wlm munge)"
  mkdir -p "$DIR/ctld" "$DIR/slurmd"
  start_munge
  if alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid"; then
    say "already running ($DIR)"
  else
    write_conf
    link_conf
    alive "$DIR/slurmctld.pid" || slurmctld -f "$CONF"
    alive "$DIR/slurmd.pid" || slurmd -f "$CONF"
  fi
  local state=""
  for _ in $(seq 120); do
    state="$(node_state)"
    case "$state" in
      idle | mixed | allocated) break ;;
      down* | drain*) scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  case "$state" in
    idle | mixed | allocated) ;;
    *) die "node $HOST is '${state:-unknown}' after 60 s; logs: $DIR/slurmctld.log $DIR/slurmd.log" ;;
  esac
  say "up: node $HOST $state, partition debug, config $CONF"
  echo "SLURM_CONF=$CONF"
}

stop_pid() {
  local name="$1" file="$2"
  if alive "$file"; then
    local pid
    pid="$(cat "$file")"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    say "stopped $name ($pid)"
  fi
  rm -f "$file"
}

stop() {
  stop_pid slurmd "$DIR/slurmd.pid"
  stop_pid slurmctld "$DIR/slurmctld.pid"
  # munged is stopped only when this script started it (its pid file is here).
  stop_pid munged "$DIR/munged.pid"
  if [ -L "$ETC_CONF" ] && [ "$(readlink "$ETC_CONF")" = "$CONF" ]; then rm -f "$ETC_CONF"; fi
}

status() {
  if alive "$DIR/slurmctld.pid" && alive "$DIR/slurmd.pid"; then
    say "running ($DIR)"
    sinfo
  else
    say "not running"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
