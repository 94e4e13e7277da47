"""Data preprocessor for UDA batches (labeled + unlabeled weak/strong views)."""
from __future__ import annotations

import copy

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS

from ganseg_mm.utils.errors import ConfigError


@MODELS.register_module()
class UDASegDataPreProcessor(SegDataPreProcessor):
    """mmseg's SegDataPreProcessor, applied to each part of a UDA batch.

    A batch from ``UDAIterBasedTrainLoop`` is ``dict(sup=<labeled batch>,
    unsup=<unlabeled batch>)``, the unlabeled batch packed by ``PackUDAInputs``
    with ``inputs`` (weak view) and ``inputs_strong``. Each view is normalized
    and padded exactly as a plain batch, and the result is
    ``dict(inputs=dict(sup, weak, strong), data_samples=dict(sup, unsup))``.
    Any other batch (validation, a plain labeled batch) is processed as by
    ``SegDataPreProcessor``. The config keys are SegDataPreProcessor's.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        if not (isinstance(data, dict) and 'sup' in data):
            return super().forward(data, training)
        sup = super().forward(data['sup'], training)
        inputs = dict(sup=sup['inputs'])
        samples = dict(sup=sup['data_samples'])
        unsup = data.get('unsup')
        if unsup is not None:
            if 'inputs_strong' not in unsup:
                raise KeyError('the unlabeled batch has no strong view: end the unlabeled '
                               "pipeline with dict(type='StrongView', ...) and "
                               "dict(type='PackUDAInputs')")
            weak = super().forward(
                dict(inputs=unsup['inputs'], data_samples=unsup['data_samples']), training)
            strong = super().forward(
                dict(inputs=unsup['inputs_strong'],
                     data_samples=copy.deepcopy(unsup['data_samples'])), training)
            if weak['inputs'].shape != strong['inputs'].shape:
                raise ConfigError(
                    f'weak and strong views differ in shape after batching: '
                    f'{tuple(weak["inputs"].shape)} vs {tuple(strong["inputs"].shape)}')
            inputs.update(weak=weak['inputs'], strong=strong['inputs'])
            samples['unsup'] = weak['data_samples']
        return dict(inputs=inputs, data_samples=samples)
