#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, to run deploy/slurm's jobs for real (the Slurm test uses it):
#
#   scripts/slurm-local.sh up DIR      # munged, slurmctld and slurmd with a generated DIR/slurm.conf; prints SLURM_CONF=...
#   SLURM_CONF=DIR/slurm.conf sbatch ...
#   scripts/slurm-local.sh down DIR    # stops the daemons it started
#
# Needs root and Debian's slurm-wlm and munge (apt-get install -y slurm-wlm munge; .ci/run installs them).
# Accounting is off, so wait on squeue rather than sacct. DIR holds the configuration, state, spool and logs.
set -euo pipefail

usage() { echo "usage: $0 up|down DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
conf=$dir/slurm.conf

down() {
  if [ -f "$conf" ] && [ -f "$dir/run/slurmctld.pid" ]; then
    SLURM_CONF=$conf scontrol shutdown >/dev/null 2>&1 || true
  fi
  for daemon in slurmd slurmctld munged; do
    if [ -f "$dir/run/$daemon.pid" ]; then
      pid=$(cat "$dir/run/$daemon.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$dir/run/$daemon.pid"
    fi
  done
  # A daemon that died before writing its pid file, or ignored the shutdown, still names this configuration.
  pkill -f -- "-f $conf" 2>/dev/null || true
}

up() {
  for tool in munged slurmctld slurmd sbatch; do
    command -v "$tool" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
    command -v "$tool" >/dev/null 2>&1 || { echo "$0: $tool not found: apt-get install -y slurm-wlm munge" >&2; exit 1; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "$0: the daemons run as root here; run as root" >&2; exit 1; }
  mkdir -p "$dir"/{state,spool,log,run}

  # munge authenticates every Slurm message: one key, and a daemon running as the munge user.
  mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
  [ -f /etc/munge/munge.key ] || dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
  chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
  chmod 400 /etc/munge/munge.key
  if ! munge -n </dev/null >/dev/null 2>&1; then    # no working munged yet
    rm -f /run/munge/munged.pid
    su -s /bin/sh munge -c /usr/sbin/munged
    for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
    cp /run/munge/munged.pid "$dir/run/munged.pid"    # started here, so stopped here
  fi

  host=$(hostname -s)
  memory=$(awk '/MemTotal/ { print int($2 / 1024 * 0.8) }' /proc/meminfo)
  cat > "$conf" <<CONF
ClusterName=steer-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$conf
  slurmctld -f "$conf"
  slurmd -f "$conf"
  for _ in $(seq 100); do
    state=$(sinfo -h -o %t 2>/dev/null || true)
    case $state in idle*|mix*|alloc*) echo "SLURM_CONF=$conf"; return 0 ;; esac
    sleep 0.2
  done
  echo "$0: the node did not become idle (state '${state:-none}'); logs in $dir/log" >&2
  down
  exit 1
}

case $action in
  up) up ;;
  down) down ;;
  *) usage ;;
esac
