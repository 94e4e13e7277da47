# DatasetGAN demo, step 3: ./interpreter_cityscapes.py on the per-pixel features
# of the demo StyleGAN2 (./stylegan2_64_demo.py), trained on its 16 annotated
# samples; only the data and the size change:
#   python tools/train.py configs/datasetgan/interpreter_demo.py
_base_ = './interpreter_cityscapes.py'
work = 'work_dirs/demo/datasetgan/'
gan_config = 'configs/datasetgan/stylegan2_64_demo.py'
gan_checkpoint = work + 'stylegan2/iter_600.pth'
dataset = dict(samples_dir=work + 'samples', ann_dir=work + 'annotations',
               gan_config=gan_config)
model = dict(
    gan_config=gan_config, gan_checkpoint=gan_checkpoint,
    # mmagic's EMA generator (momentum 2e-4) is still near its initial weights
    # after the demo's 600 iterations: use the raw generator (samples were made
    # with generate_samples.py --no-ema)
    use_ema=False, pixels_per_image=1024)
train_dataloader = dict(dataset=dataset)
val_dataloader = dict(batch_size=4, dataset=dataset)
test_dataloader = val_dataloader
max_iters = 300
val_interval = 50
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(checkpoint=dict(interval=val_interval))
