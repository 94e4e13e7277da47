"""Loading a trained DatasetGAN interpreter for dataset generation."""
from __future__ import annotations

from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from ganseg_mm.models.segmentors.datasetgan_interpreter import DatasetGANInterpreter
from ganseg_mm.utils.errors import DataValidationError
from ganseg_mm.utils.gan import load_state_dict_checked, read_checkpoint, resolve_checkpoint


def load_interpreter(cfg, checkpoint: str, device: str = 'cpu') -> DatasetGANInterpreter:
    """Build the interpreter of ``cfg`` and load a trained checkpoint (which
    holds the generator too). A checkpoint (or work dir, see
    :func:`resolve_checkpoint`) that is missing, not a checkpoint, of another
    model, or whose ensemble has another class count or size than ``cfg``
    raises DataValidationError naming it."""
    checkpoint = resolve_checkpoint(checkpoint)
    sd = read_checkpoint(checkpoint)
    model_cfg = dict(cfg.model)
    model_cfg['gan_checkpoint'] = None  # the weights come from the checkpoint
    with DefaultScope.overwrite_default_scope('mmseg'):  # leaves the caller's scope
        model = MODELS.build(model_cfg)
    head = model.head
    last = f'head.members.0.{len(head.members[0]) - 1}.weight'
    if last not in sd:
        raise DataValidationError(f'{checkpoint}: not a DatasetGAN interpreter checkpoint '
                                  f'(no {last})')
    n_cls = sd[last].shape[0]
    n_mem = len({k.split('.')[2] for k in sd if k.startswith('head.members.')})
    if n_cls != head.num_classes or n_mem != head.num_members:
        raise DataValidationError(
            f'{checkpoint}: ensemble of {n_mem} MLPs with {n_cls} classes, the config '
            f'expects {head.num_members} MLPs with {head.num_classes} classes')
    load_state_dict_checked(model, sd, checkpoint, 'the interpreter of the config')
    return model.to(device).eval()
