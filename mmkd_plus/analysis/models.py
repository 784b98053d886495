# Copyright (c) OpenMMLab. All rights reserved.
"""A config's model and a data loader, built as the analysis tools need
them: in the config's default scope, the model as MMEngine's Runner builds
it (with the top-level ``data_preprocessor``), optionally with a run's
checkpoint loaded."""
from typing import Any, Optional, Tuple

from mmkd_plus.utils.network_config import runner_model_config

__all__ = ['build_model_and_loader']


def build_model_and_loader(cfg: Any,
                           loader_cfg: Optional[dict] = None,
                           checkpoint: Optional[str] = None,
                           strict: bool = False,
                           **model_overrides) -> Tuple[Any, Any]:
    """Build ``cfg``'s model and a data loader.

    Args:
        cfg (Config): A whole config.
        loader_cfg (dict, optional): The loader's config; defaults to
            ``cfg.test_dataloader``.
        checkpoint (str, optional): A checkpoint of a run of ``cfg``,
            loaded into the model (``map_location='cpu'``).
        strict (bool): Load the checkpoint strictly.
        **model_overrides: Keys of the model to set (as
            :func:`~mmkd_plus.utils.runner_model_config`), e.g.
            ``teacher_ckpt=None`` when the checkpoint holds the teacher.

    Returns:
        tuple: ``(model, loader)``.
    """
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner, load_checkpoint
    from mmrazor.registry import MODELS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model = MODELS.build(runner_model_config(cfg, **model_overrides))
        if checkpoint:
            load_checkpoint(
                model, checkpoint, map_location='cpu', strict=strict)
        loader = Runner.build_dataloader(
            cfg.test_dataloader if loader_cfg is None else loader_cfg)
    return model, loader
