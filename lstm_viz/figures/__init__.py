"""Pure Plotly builders, one module per view: trace records in, labelled ``go.Figure`` out."""

from lstm_viz.figures.base import cursor_shape, direction_label, record_label
from lstm_viz.figures.code_text import text_figure
from lstm_viz.figures.compare import final_state_figure, output_heatmap_figure, step_error_figure
from lstm_viz.figures.gates import state_heatmap_figure, step_bars_figure
from lstm_viz.figures.gates_over_time import gates_over_time_figure
from lstm_viz.figures.gradients import gradient_heatmap_figure, gradient_norms_figure, saturation_figure
from lstm_viz.figures.params import MAX_WEIGHT_SIDE, weight_figure
from lstm_viz.figures.scales import (
    CURSOR_COLOUR,
    ERROR_SCALE,
    GATE_SCALE,
    MAX_UNITS_SHOWN,
    QUANTITIES,
    SHORT_TITLES,
    SIGMOID_RANGE,
    SIGNED_SCALE,
    STATE_ORDER,
    TANH_RANGE,
    Quantity,
    quantity_range,
    symmetric_limit,
    unit_pages,
)
from lstm_viz.figures.states import pca_trajectory_figure, unit_lines_figure
from lstm_viz.figures.step import cell_diagram_figure, click_grid_figure
from lstm_viz.figures.still import still_figure
from lstm_viz.figures.tasks import (
    loss_curve_figure,
    memory_against_figure,
    memory_split_figure,
    memory_text_figure,
    unit_latent_figure,
    unit_scores_figure,
)
from lstm_viz.figures.views import (
    PALETTES,
    SLIDE_TITLE_CHARS,
    SLIDE_TITLE_CHARS_FULL,
    Palette,
    SharedFigure,
    for_slides,
    recolour,
)

__all__ = [
    "gates_over_time_figure",
    "CURSOR_COLOUR",
    "ERROR_SCALE",
    "GATE_SCALE",
    "MAX_UNITS_SHOWN",
    "MAX_WEIGHT_SIDE",
    "PALETTES",
    "Palette",
    "QUANTITIES",
    "SHORT_TITLES",
    "SIGMOID_RANGE",
    "SIGNED_SCALE",
    "SLIDE_TITLE_CHARS",
    "SLIDE_TITLE_CHARS_FULL",
    "SharedFigure",
    "STATE_ORDER",
    "TANH_RANGE",
    "Quantity",
    "cell_diagram_figure",
    "click_grid_figure",
    "cursor_shape",
    "direction_label",
    "final_state_figure",
    "for_slides",
    "gradient_heatmap_figure",
    "gradient_norms_figure",
    "loss_curve_figure",
    "memory_against_figure",
    "memory_split_figure",
    "memory_text_figure",
    "output_heatmap_figure",
    "pca_trajectory_figure",
    "quantity_range",
    "record_label",
    "recolour",
    "saturation_figure",
    "state_heatmap_figure",
    "still_figure",
    "step_bars_figure",
    "step_error_figure",
    "symmetric_limit",
    "text_figure",
    "unit_latent_figure",
    "unit_lines_figure",
    "unit_pages",
    "unit_scores_figure",
    "weight_figure",
]
