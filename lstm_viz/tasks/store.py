"""Shipped task weights: one ``.safetensors`` file per task, its provenance and metric in the file's metadata."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from lstm_viz.tasks.base import Task
from lstm_viz.tasks.model import TaskModel, init_model

WEIGHTS_DIR = Path(__file__).with_name("weights")


def weights_path(task: Task) -> Path:
    """Where the shipped weights of ``task`` live."""
    return WEIGHTS_DIR / f"{task.name}.safetensors"


def save_model(model: TaskModel, path: Path) -> None:
    """Write the LSTM (``lstm.*``) and read-out (``head.*``) tensors, with ``model.info`` as JSON metadata."""
    tensors = {f"lstm.{k}": v.detach().contiguous() for k, v in model.lstm.state_dict().items()}
    tensors |= {f"head.{k}": v.detach().contiguous() for k, v in model.head.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"info": json.dumps(model.info, sort_keys=True)})


def load_model(task: Task, path: Path) -> TaskModel:
    """Read a model saved by ``save_model``; its sizes come from the stored info, its weights from the tensors."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        info = json.loads(f.metadata()["info"])
    tensors = load_file(str(path))
    model = init_model(task, int(info["hidden_size"]), int(info["seed"]), float(info["forget_bias"]))
    with torch.no_grad():
        model.lstm.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("lstm.")})
        model.head.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("head.")})
    model.info = info
    return model
