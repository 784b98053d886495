# Copyright (c) OpenMMLab. All rights reserved.
"""Helpers of the analysis tools (``tools/analysis/``): the seeds runners'
runs, sweeps and tables, and a config's model and loader."""
from .models import build_model_and_loader
from .paths import MODEL_INDEX, PROJECT, config_name, rel_path
from .seed_runs import (EPOCHS_KEY, LINKS, METRIC, TEACHER, TEACHER_SIDE_LINK,
                        VANILLA, build_cfg, chart, check_run_args,
                        check_val_classes, digits_methods, evaluate_teacher,
                        first_stages, format_markdown, positive_int,
                        run_method, set_epochs, stage_chain, summarize)
from .sweeps import (check_sweep_keys, grid_points, parse_sweep, point_dir,
                     point_label, sweep_keys)

__all__ = [
    'EPOCHS_KEY', 'LINKS', 'METRIC', 'MODEL_INDEX', 'PROJECT', 'TEACHER',
    'TEACHER_SIDE_LINK', 'VANILLA', 'build_cfg', 'chart', 'check_run_args',
    'check_val_classes', 'config_name', 'digits_methods', 'evaluate_teacher',
    'first_stages', 'format_markdown', 'positive_int', 'rel_path',
    'run_method', 'set_epochs', 'stage_chain', 'summarize', 'check_sweep_keys',
    'grid_points', 'parse_sweep', 'point_dir', 'point_label', 'sweep_keys',
    'build_model_and_loader'
]
