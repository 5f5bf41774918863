"""Run dtrain under dlaunch on an Azure ML cluster with SDK v1 (azureml-core).

One dlaunch per node: PyTorchConfiguration(node_count=N) without process_count makes Azure ML run
the command once on each node and set MASTER_ADDR, MASTER_PORT (6105) and NODE_RANK there;
dlaunch starts the node's workers and gives each the torchrun environment.

    az acr build -r <registry> -t dlaunch:0.1 -f scripts/azureml/Dockerfile .   # from the repo root
    python scripts/azureml/submit_v1.py --cluster gpu-cluster --nodes 2 \
        --image <registry>.azurecr.io/dlaunch:0.1 --nproc_per_node 4 --num_epochs 25

Needs a workspace config.json (Workspace.from_config) and `pip install azureml-core`.
"""

import argparse
import os

from azureml.core import Environment, Experiment, ScriptRunConfig, Workspace
from azureml.core.runconfig import PyTorchConfiguration

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", required=True, help="AmlCompute cluster name")
    parser.add_argument("--nodes", type=int, default=2, help="node_count")
    parser.add_argument("--image", required=True, help="image built from scripts/azureml/Dockerfile")
    parser.add_argument("--nproc_per_node", default="auto", help="workers per node: N, gpu, cpu or auto")
    parser.add_argument("--num_epochs", type=int, default=25)
    parser.add_argument("--experiment", default="dlaunch-fowl")
    parser.add_argument("--explicit_flags", action="store_true",
                        help="pass --node_rank/--master_addr/--master_port instead of relying on detection")
    parser.add_argument("--wait", action="store_true", help="stream the log until the run ends")
    return parser.parse_args()


def main():
    args = parse_args()
    workspace = Workspace.from_config()

    # The image already holds dlaunch, dtrain and python3: Azure ML must not build a conda env.
    env = Environment(name="dlaunch")
    env.docker.base_image = args.image
    env.python.user_managed_dependencies = True
    env.python.interpreter_path = "/usr/bin/python3"
    if args.explicit_flags:
        env.environment_variables["DLAUNCH_EXPLICIT_FLAGS"] = "1"

    config = ScriptRunConfig(
        source_directory=HERE,  # uploads run_node.sh; the run starts in this folder's copy
        command=f"bash run_node.sh {args.nodes} {args.nproc_per_node} --num_epochs {args.num_epochs}",
        compute_target=args.cluster,
        environment=env,
        distributed_job_config=PyTorchConfiguration(node_count=args.nodes),  # no process_count
    )
    run = Experiment(workspace, args.experiment).submit(config)
    print(run.get_portal_url())
    if args.wait:
        run.wait_for_completion(show_output=True)


if __name__ == "__main__":
    main()
