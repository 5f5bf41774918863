"""Run dtrain under dlaunch on an Azure ML cluster with SDK v2 (azure-ai-ml).

One dlaunch per node: instance_count=N with distribution pytorch, process_count_per_instance=1.
Azure ML then runs the command once per node with MASTER_ADDR, MASTER_PORT, NODE_RANK, and
node-level WORLD_SIZE=N / RANK; dlaunch recomputes WORLD_SIZE and RANK for its workers.

    python scripts/azureml/submit_v2.py --cluster gpu-cluster --nodes 2 --nproc_per_node 4
    python scripts/azureml/submit_v2.py --cluster gpu-cluster --image <registry>.azurecr.io/dlaunch:0.1

Without --image, Azure ML builds scripts/azureml/Dockerfile with the repository as build context.
Needs a workspace config.json and `pip install azure-ai-ml azure-identity`.
"""

import argparse
import os

from azure.ai.ml import MLClient, command
from azure.ai.ml.entities import BuildContext, Environment
from azure.identity import DefaultAzureCredential

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", required=True, help="compute cluster name")
    parser.add_argument("--nodes", type=int, default=2, help="instance_count")
    parser.add_argument("--image", help="prebuilt image; default: build scripts/azureml/Dockerfile")
    parser.add_argument("--nproc_per_node", default="auto", help="workers per node: N, gpu, cpu or auto")
    parser.add_argument("--num_epochs", type=int, default=25)
    parser.add_argument("--experiment", default="dlaunch-fowl")
    parser.add_argument("--explicit_flags", action="store_true",
                        help="pass --node_rank/--master_addr/--master_port instead of relying on detection")
    return parser.parse_args()


def main():
    args = parse_args()
    client = MLClient.from_config(credential=DefaultAzureCredential())

    if args.image:
        env = Environment(name="dlaunch", image=args.image)
    else:
        env = Environment(
            name="dlaunch",
            build=BuildContext(path=REPO, dockerfile_path="scripts/azureml/Dockerfile"),
        )

    job = command(
        code=HERE,
        command=f"bash run_node.sh {args.nodes} {args.nproc_per_node} --num_epochs {args.num_epochs}",
        environment=env,
        environment_variables={"DLAUNCH_EXPLICIT_FLAGS": "1" if args.explicit_flags else "0"},
        compute=args.cluster,
        instance_count=args.nodes,
        distribution={"type": "pytorch", "process_count_per_instance": 1},
        experiment_name=args.experiment,
        display_name=f"dlaunch {args.nodes}x{args.nproc_per_node}",
    )
    submitted = client.jobs.create_or_update(job)
    print(submitted.studio_url)


if __name__ == "__main__":
    main()
