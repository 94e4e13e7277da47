# DatasetGAN full scale, step 3: the style interpreter (an ensemble of 10 MLPs,
# nv-tlabs/datasetGAN_release) on the per-pixel features of all 15 synthesis
# layers of the 512 px StyleGAN2 (./stylegan2_512_cityscapes.py), trained on
# the annotated samples with mmengine's Runner:
#   python tools/train.py configs/datasetgan/interpreter_cityscapes.py
# Validation = whole-image mIoU on the annotations held out from training (1 in
# 8, at least one); MemberEarlyStoppingHook stops each member when its own
# held-out mIoU no longer improves, and generate_dataset.py takes the best
# checkpoint of the vote. (datasetGAN_release stops on the training pixels'
# own accuracy, which cannot tell overfitting.)
_base_ = 'mmseg::_base_/default_runtime.py'
custom_imports = dict(imports=['ganseg_mm'], allow_failed_imports=False)
default_scope = 'mmseg'

work = 'work_dirs/datasetgan_cityscapes/'
gan_config = 'configs/datasetgan/stylegan2_512_cityscapes.py'
gan_checkpoint = work + 'stylegan2/iter_200000.pth'
samples_dir = work + 'samples'
ann_dir = work + 'annotations'
classes = ('road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
           'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
           'truck', 'bus', 'train', 'motorcycle', 'bicycle')

model = dict(
    type='DatasetGANInterpreter',
    gan_config=gan_config,
    gan_checkpoint=gan_checkpoint,
    use_ema=True,
    layers=None,  # all synthesis layers (conv1 + both convs of every block)
    pixels_per_image=8192,
    head=dict(type='DatasetGANInterpreterHead', num_classes=len(classes), num_members=10))

dataset = dict(type='DatasetGANAnnotationDataset', samples_dir=samples_dir,
               ann_dir=ann_dir, classes=classes, gan_config=gan_config,
               heldout_fraction=0.125)
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'), dataset=dict(dataset, part='train'))
val_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'), dataset=dict(dataset, part='heldout'))
val_evaluator = dict(type='IoUMetric', iou_metrics=['mIoU'])
test_dataloader = val_dataloader
test_evaluator = val_evaluator

# datasetGAN_release: Adam 1e-3, batch 64 pixels, <= 100 epochs with early stopping; here
# 16384 pixels (2 images x 8192) per step, freshly sampled every step
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
max_iters = 4000
val_interval = 200
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=25, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=val_interval,
                    max_keep_ckpts=1, save_best='mIoU', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'))
# each member stops on its own held-out mIoU (rewound to its best), as the
# reference trains and stops each classifier separately
custom_hooks = [dict(type='MemberEarlyStoppingHook', min_delta=0.5, patience=2)]
log_processor = dict(by_epoch=False)
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
randomness = dict(seed=0)
