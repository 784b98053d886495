# Copyright (c) OpenMMLab. All rights reserved.
"""Register every module, as MMRazor's ``mmrazor.utils.setup_env`` does.

Importing :mod:`mmkd_plus` already calls :func:`register_all_modules`
without touching the default scope; scripts that build components outside
a config (notebooks, tests) call it with ``init_default_scope=True``.
"""
import datetime
import warnings

from mmengine import DefaultScope

__all__ = ['DEFAULT_SCOPE', 'register_all_modules']

#: The default scope of every config of mmkd_plus (``default_scope``):
#: mmpretrain's registries, where datasets, transforms, metrics and
#: networks are built; MMRazor's components carry ``_scope_='mmrazor'``.
DEFAULT_SCOPE = 'mmpretrain'


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmpretrain's, MMRazor's and mmkd_plus's modules into their
    registries.

    MMRazor's registries have no lazy ``locations``, so its modules (and
    mmpretrain's) are imported here, whoever launches the run.

    Args:
        init_default_scope (bool): Whether to make ``'mmpretrain'`` (the
            configs' ``default_scope``) the current default scope. If
            another scope is current, a new ``'mmpretrain'`` scope is
            created and made current, with a warning. Defaults to True.
    """
    import mmpretrain.utils
    import mmrazor.utils
    mmpretrain.utils.register_all_modules(init_default_scope=False)
    mmrazor.utils.register_all_modules(init_default_scope=False)

    import mmkd_plus.datasets  # noqa: F401
    import mmkd_plus.engine  # noqa: F401
    import mmkd_plus.evaluation  # noqa: F401
    import mmkd_plus.models  # noqa: F401
    import mmkd_plus.ops  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None or not DefaultScope.check_instance_created(
            DEFAULT_SCOPE):
        DefaultScope.get_instance(DEFAULT_SCOPE, scope_name=DEFAULT_SCOPE)
        return
    if current.scope_name != DEFAULT_SCOPE:
        warnings.warn(f'The current default scope "{current.scope_name}" '
                      f'is not "{DEFAULT_SCOPE}"; register_all_modules '
                      f'makes a new "{DEFAULT_SCOPE}" scope current.')
        name = f'{DEFAULT_SCOPE}-{datetime.datetime.now()}'
        DefaultScope.get_instance(name, scope_name=DEFAULT_SCOPE)
