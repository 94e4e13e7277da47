# UDA with mmseg's U-Net (S5-D16, FCN head) on the demo data at a 1/8 labeled
# split: the demo twin of ./unet-s5-d16_fcn_uda_cityscapes.py (BN instead
# of SyncBN, whole-image inference, the demo schedule).
_base_ = './deeplabv3_r18_uda_demo.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    _delete_=True,
    type='UDAEncoderDecoder',
    data_preprocessor=dict(
        type='UDASegDataPreProcessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_val=0, seg_pad_val=255,
        size=(128, 128)),
    consistency_weight=1.0, temperature=0.4, confidence_threshold=0.8,
    tsa_schedule=None, rampup_iters=100,
    pretrained=None,
    backbone=dict(
        type='UNet', in_channels=3, base_channels=64, num_stages=5,
        strides=(1, 1, 1, 1, 1), enc_num_convs=(2, 2, 2, 2, 2),
        dec_num_convs=(2, 2, 2, 2), downsamples=(True, True, True, True),
        enc_dilations=(1, 1, 1, 1, 1), dec_dilations=(1, 1, 1, 1),
        with_cp=False, conv_cfg=None, norm_cfg=norm_cfg, act_cfg=dict(type='ReLU'),
        upsample_cfg=dict(type='InterpConv'), norm_eval=False),
    decode_head=dict(
        type='FCNHead', in_channels=64, in_index=4, channels=64, num_convs=1,
        concat_input=False, dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead', in_channels=128, in_index=3, channels=64, num_convs=1,
        concat_input=False, dropout_ratio=0.1, num_classes=19, norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
