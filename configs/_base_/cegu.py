# CEGU (Zhang et al., "Image Semantic Segmentation Based on the GAN Auxiliary
# Network", PIC 2021): cross-entropy weighted per pixel by the uncertainty a
# discriminator sees in the predicted map, plus the adversarial term of the
# GAN auxiliary network (AdvSemiSeg's weight 0.01). Only new keys; the CEGU
# configs wire them into their segmentor (`loss_decode`) and hooks.
cegu_weighting = dict(type='CEGULoss', weighting='linear', strength=1.0, loss_weight=1.0)
cegu_adversarial = dict(type='CEGUAdversarialLoss', loss_weight=0.01)
cegu_hook = dict(
    type='CEGUDiscriminatorHook',
    # full resolution: per-pixel weights at label size (AdvSemiSeg's geometry);
    # in_channels None: the hook sets num_classes (+3 with with_image)
    discriminator=dict(type='PixelDiscriminator', in_channels=None, input_downsample=1),
    optim_wrapper=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
    warmup_iters=1000,
    encoding='onehot',  # D judges the layout, not the softness (docs/cegu.md)
    vis_interval=1000)
