# Copyright (c) OpenMMLab. All rights reserved.
from .joint_optim_wrapper_dict import JointOptimWrapperDict
from .module_split_constructor import ModuleSplitOptimWrapperConstructor

__all__ = ['JointOptimWrapperDict', 'ModuleSplitOptimWrapperConstructor']
