# CEGU (Zhang et al., "Image Semantic Segmentation Based on the GAN Auxiliary
# Network", PIC 2021): cross-entropy weighted per pixel by the uncertainty a
# discriminator sees in the predicted map. Only new keys; the CEGU configs wire
# them into their segmentor (`loss_decode`) and hooks.
cegu_loss = dict(type='CEGULoss', weighting='linear', strength=1.0, loss_weight=1.0)
cegu_hook = dict(
    type='CEGUDiscriminatorHook',
    discriminator=dict(type='PixelDiscriminator', in_channels=19, input_downsample=4),
    optim_wrapper=dict(type='OptimWrapper',
                       optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
    warmup_iters=1000)
