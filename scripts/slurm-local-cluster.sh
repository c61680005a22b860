#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, in a directory of its own, for the
# sweep tests and for trying `npusim sweep --executor slurm` (docs/sweep.md).
#
#   scripts/slurm-local-cluster.sh start DIR [CPUS]   # prints: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-local-cluster.sh stop DIR
#
# start writes a munge key, slurm.conf (CPUS task slots, default 8, on however
# many cores the machine has: SlurmdParameters=config_overrides), starts
# munged, slurmctld and slurmd with their state, logs and PID files in DIR,
# and waits (at most 60 s) until the node accepts jobs. Ports are picked
# free. stop kills the three daemons by the PIDs in DIR (nothing else) and
# waits for them to exit. Needs Debian's slurm-wlm and munge
# (scripts/install-deps.sh). Run as root (the daemons' user) or as the user
# who owns DIR.
set -euo pipefail

usage() { echo "usage: $0 start DIR [CPUS] | stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
command=$1
dir=$(realpath -m "$2")
cpus=${3:-8}

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 20000))
    if ! ss -Htln "sport = :$port" | grep -q .; then echo "$port"; return; fi
  done
  echo "no free port found" >&2; exit 1
}

wait_gone() {  # PID: wait up to 20 s for it to exit
  for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}

stop() {
  for name in slurmd slurmctld munged; do
    pidfile="$dir/run/$name.pid"
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait_gone "$pid"
    fi
    rm -f "$pidfile"
  done
}

start() {
  for tool in munged mungekey slurmctld slurmd sbatch sinfo ss; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
  done
  trap 'echo "starting the local cluster failed; logs in $dir/log" >&2; stop; exit 1' ERR
  mkdir -p "$dir"/{key,run,state,spool,log}
  chmod 700 "$dir/key"
  chmod 755 "$dir" "$dir/run"  # munged wants its socket's directory searchable by all
  user=$(id -un)
  [ -f "$dir/key/munge.key" ] || mungekey --create --keyfile="$dir/key/munge.key"
  munged --socket="$dir/run/munge.sock" --key-file="$dir/key/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/key/munged.seed"
  cat > "$dir/slurm.conf" <<EOF
# A one-node test cluster written by scripts/slurm-local-cluster.sh.
ClusterName=npusim-local
SlurmctldHost=localhost
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
# CPUS task slots whatever the machine has: the sweep tests run 8 tasks on 2 cores.
SlurmdParameters=config_overrides
MaxArraySize=100000
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF" -N localhost
  for _ in $(seq 1 600); do
    if sinfo --noheader --format=%T 2>/dev/null | grep -qx idle; then
      echo "export SLURM_CONF=$SLURM_CONF"
      return 0
    fi
    sleep 0.1
  done
  echo "the local Slurm node did not come up within 60 s; logs in $dir/log" >&2
  stop
  exit 1
}

case "$command" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
