"""DatasetGAN (Zhang et al., CVPR 2021), offline pipeline as plain functions
called by the tools in ``tools/datasetgan/``:

- :mod:`.annotations`: latent files, PNG/labelme annotation import;
- :mod:`.interpreter`: loading a trained interpreter;
- :mod:`.generation`: sampling latents, labelling, uncertainty filtering.

The registered parts live in the folders of their kind: the interpreter model
in ``models/segmentors``, its MLP-ensemble head in ``models/decode_heads``, the
slim StyleGAN2 in ``models/editors/stylegan2``, the annotation dataset in
``datasets``; per-pixel features and the ensemble uncertainty in
``models/utils``.
"""
