"""`import ganseg_mm` costs only what a user uses: no mmagic, no demo code."""
import subprocess
import sys

# mmagic (and with it diffusers and transformers) made unimportable: a finder
# that refuses the names, as on a machine where they are not installed
HIDE = """
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('mmagic', 'diffusers', 'transformers'):
            raise ModuleNotFoundError(f'No module named {name!r}')
sys.meta_path.insert(0, Hide())
"""

CHECK = """
import ganseg_mm
from mmseg.registry import DATASETS, MODELS, TRANSFORMS
from mmengine.registry import HOOKS, LOOPS
for n in ('CEGULoss', 'CEGUAdversarialLoss', 'PixelDiscriminator', 'UDAEncoderDecoder',
          'UDASegDataPreProcessor', 'DatasetGANInterpreter', 'DatasetGANInterpreterHead'):
    assert MODELS.get(n) is not None, n
for n in ('GANAugmentedDataset', 'UnlabeledDataset', 'DatasetGANAnnotationDataset'):
    assert DATASETS.get(n) is not None, n
for n in ('CheckSegMap', 'StrongView', 'PackUDAInputs', 'LoadInstanceBoundary',
          'RenderImageFromLabel', 'PackLabelImagePair'):
    assert TRANSFORMS.get(n) is not None, n
assert HOOKS.get('CEGUDiscriminatorHook') and LOOPS.get('UDAIterBasedTrainLoop')
heavy = [m for m in sys.modules if m.split('.')[0] in ('mmagic', 'diffusers', 'transformers')]
assert not heavy, heavy
assert 'ganseg_mm.demo' not in sys.modules
print('ok')
"""


def _run(code):
    return subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=300)


def test_import_registers_cegu_uda_datasets_without_mmagic():
    p = _run(HIDE + 'import sys\n' + CHECK)
    assert p.returncode == 0 and p.stdout.strip().endswith('ok'), p.stderr[-2000:]


def test_gan_side_needs_mmagic_and_says_so():
    """The hiding works: the GAN networks' module fails without mmagic."""
    p = _run(HIDE + 'import ganseg_mm.models.editors')
    assert p.returncode != 0 and "No module named 'mmagic" in p.stderr


def test_gan_side_registers_in_mmagic_scope():
    p = _run("""
import ganseg_mm, ganseg_mm.models.editors
from mmagic.registry import HOOKS, MODELS
for n in ('Pix2PixHD', 'Pix2PixHDGenerator', 'Pix2PixHDDiscriminator',
          'Pix2PixHDDataPreprocessor', 'SlimStyleGAN2Generator', 'SlimStyleGAN2Discriminator'):
    assert MODELS.get(n) is not None, n
assert HOOKS.get('Pix2PixHDSampleGridHook') is not None
print('ok')
""")
    assert p.returncode == 0 and p.stdout.strip().endswith('ok'), p.stderr[-2000:]
