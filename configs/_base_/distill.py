# The algorithm under every distillation recipe: MMRazor's single-teacher
# distillation with mmkd_plus's build-time checks, and a configurable
# distiller that the recipe fills (recorders, connectors, losses).
model = dict(
    _scope_='mmrazor',
    type='CheckedSingleTeacherDistill',
    distiller=dict(type='ConfigurableDistiller'))
