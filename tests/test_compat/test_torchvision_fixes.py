# Copyright (c) OpenMMLab. All rights reserved.
"""The fix of torchvision beside a torch of another build (#8), shown
failing without it and idle with a matching build.
"""
import os

import torch
from compat_test_utils import run_python

from mmkd_plus import compat
from mmkd_plus.compat import torchvision_fixes


# STACK #8 -------------------------------------------------------------------
def test_torchvision_import_without_op_schemas():
    import torchvision.extension as ext
    if ext._has_ops():
        # a matching torchvision build: the fix must do nothing
        assert 'define_torchvision_op_schemas' not in compat.applied_fixes()
        return
    proc = run_python('import mmkd_plus', skip='define_torchvision_op_schemas')
    assert proc.returncode != 0
    assert 'operator torchvision::nms does not exist' in proc.stderr
    # with the fix, torchvision's Python parts work
    from torchvision.transforms import functional as F
    img = torch.arange(12.).reshape(1, 3, 4)
    assert torch.equal(F.hflip(img), img.flip(-1))


def test_torchvision_fix_leaves_a_matching_build_alone(monkeypatch):
    """Where torchvision's compiled ops load (a matching CUDA/CPU build),
    the fix loads them and defines no schema of its own, so torchvision's
    own registration never collides with ours."""
    import torchvision.extension as ext
    loaded = []
    monkeypatch.setattr(torch.ops, 'load_library', loaded.append)
    assert torchvision_fixes._torchvision_ops_load() is True
    assert len(loaded) == 1 and '_C' in os.path.basename(loaded[0])

    def fail(path):
        raise OSError(f'Could not load this library: {path}')

    monkeypatch.setattr(torch.ops, 'load_library', fail)
    assert torchvision_fixes._torchvision_ops_load() is False
    # on this machine the real load fails exactly when torchvision has no ops
    monkeypatch.undo()
    if not ext._has_ops():
        assert torchvision_fixes._torchvision_ops_load() is False
