"""ganseg_mm: GAN-based data augmentation and semi-supervision for MMSegmentation.

OpenMMLab layout: requirements in ``requirements/``, and the mim extension that
ships ``configs/`` and ``tools/`` inside the package as ``ganseg_mm/.mim`` so
that ``mim train ganseg_mm CONFIG`` finds them (symlinks for editable
installs, copies for wheels).
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'README.md')


def readme():
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


def get_version():
    scope = {}
    with open(osp.join(HERE, 'ganseg_mm', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(name):
    """Requirement lines of ``requirements/<name>.txt`` (comments dropped)."""
    reqs = []
    with open(osp.join(HERE, 'requirements', name + '.txt')) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


def add_mim_extension():
    """Expose configs/ and tools/ as ``ganseg_mm/.mim`` for mim."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'  # editable install: changes show up at once
    elif {'sdist', 'bdist_wheel', 'build', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_root = osp.join(HERE, 'ganseg_mm', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in MIM_FILES:
        src, dst = osp.join(HERE, name), osp.join(mim_root, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_root), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='ganseg_mm',
        version=get_version(),
        description='GAN augmentation (pixel-level, DatasetGAN), CEGU and UDA '
        'for MMSegmentation 1.x',
        long_description=readme(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'benchmarks')),
        include_package_data=True,
        package_data={'ganseg_mm': ['.mim/configs/**/*.py', '.mim/tools/**/*',
                                    '.mim/README.md']},
        python_requires='>=3.11',
        install_requires=parse_requirements('runtime') + parse_requirements('mminstall'),
        extras_require={'tests': parse_requirements('tests')},
        zip_safe=False)
