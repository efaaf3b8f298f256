"""The Gradient flow view's words: thresholds, which way the orders point, every variant of a sentence, Chinese."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from lstm_viz import tasks
from lstm_viz.config import LSTMConfig
from lstm_viz.gradient_flow import Reach, gradient_flow
from lstm_viz.losses import LOSSES
from lstm_viz.run import RunSpec, run
from lstm_viz.server.gradients import BiasEffect, BiasSibling, TaskRace
from lstm_viz.sources import TaskSource
from lstm_viz.tasks.losses import TASK_LOSS, TASK_LOSS_WORDS
from lstm_viz.words import gradients as words
from lstm_viz.words.gradients import SAME_ORDERS, VISIBLE_ORDERS, Runners


def reach(apart: float, reverse: bool = False, forget: float = 0.5) -> Reach:
    """A measured race whose LSTM cell gradient at the far step is 10^apart times the RNN's."""
    steps = 5
    far = steps - 1 if reverse else 0
    dc = torch.ones(steps, dtype=torch.float64)
    dh = torch.ones(steps, dtype=torch.float64)
    dc[far], dh[far] = 10.0**apart * 1e-6, 1e-6
    return Reach(dc, dc.clone(), dh, torch.ones(steps), far, reverse, apart, forget)


UNTRAINED = Runners("untrained", "untrained")
TRAINED = Runners("trained", "trained")


@pytest.mark.parametrize("apart", [VISIBLE_ORDERS, VISIBLE_ORDERS + 2.4])
def test_the_lstm_outlives_the_rnn_from_visible_orders_up_and_the_gap_is_marked(apart):
    v = words.verdict(reach(apart), TRAINED)
    assert (v.kind, v.gap, v.icon) == ("success", True, ":material/trending_flat:")
    assert v.text.startswith("At the first step (t = 0) the trained LSTM's ‖dL/dc_t‖ is ")
    assert f"**{apart:.0f} orders of magnitude** larger than the trained RNN's ‖dL/dh_t‖" in v.text
    assert f"(‖dL/dc‖ {10.0**apart * 1e-6:.2e} against ‖dL/dh‖ 1.00e-06)" in v.text


def test_just_under_visible_orders_neither_outlives_and_nothing_is_marked():
    v = words.verdict(reach(VISIBLE_ORDERS - 0.2), TRAINED)
    assert (v.kind, v.gap) == ("info", False)
    assert "the trained LSTM's ‖dL/dc_t‖ is only 631 times the trained RNN's ‖dL/dh_t‖" in v.text
    assert "neither gradient outlives the other here" in v.text and "random weights" not in v.text


@pytest.mark.parametrize("apart", [-VISIBLE_ORDERS, -VISIBLE_ORDERS - 1.6])
def test_an_rnn_gradient_orders_of_magnitude_larger_is_said_the_other_way_round(apart):
    v = words.verdict(reach(apart), UNTRAINED)
    assert (v.kind, v.gap) == ("info", False)
    assert f"the untrained RNN's ‖dL/dh_t‖ is **{-apart:.0f} orders of magnitude** larger than the untrained LSTM" in (
        v.text
    )
    assert v.text.endswith("here the RNN's gradient reaches further back.")


def test_a_small_gap_names_the_larger_gradient_first_whichever_it_is():
    lstm_ahead = words.verdict(reach(1.3), UNTRAINED).text
    rnn_ahead = words.verdict(reach(-1.3), UNTRAINED).text
    assert "the untrained LSTM's ‖dL/dc_t‖ is only 20 times the untrained RNN's" in lstm_ahead
    assert "the untrained RNN's ‖dL/dh_t‖ is only 20 times the untrained LSTM's" in rnn_ahead


def test_only_a_random_lstm_is_told_why_its_gap_is_small():
    random = words.verdict(reach(0.4, forget=0.4987), Runners("untrained", "untrained", random=True))
    assert "(they average 0.50 here)" in random.text and random.text.endswith("in the table under the chart.")
    assert "random weights" not in words.verdict(reach(0.4), UNTRAINED).text
    # Outliving needs no excuse, even on random weights.
    assert "random weights" not in words.verdict(reach(4.0), Runners("untrained", "untrained", True)).text


def test_in_reverse_the_far_step_is_the_last_and_named_so():
    v = words.verdict(reach(3.5, reverse=True), Runners("your", "untrained"))
    assert v.text.startswith("At the step farthest from the loss (t = 4) the your LSTM's")


def test_the_measured_reach_is_log10_of_the_ratio_at_the_far_step_in_either_direction():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(3, 4, bidirectional=True).double()
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    flow = gradient_flow(lstm, x, None, "last", None, 0)
    for reverse, far in ((False, 0), (True, 5)):
        r = flow.reach(0, reverse, 1)
        assert r.far == far and r.reverse == reverse
        assert r.apart == pytest.approx(math.log10(r.lstm_far / r.rnn_far), rel=1e-12)
        assert r.forget_mean == pytest.approx(float(flow.trace.layer(0, reverse).f[1].mean()))
    assert flow.reach(0, False, 1).forget_product[-1] == pytest.approx(1.0), "no forget gate after the last step"


BRACKETS = tasks.get("brackets")
CHARS = tasks.get("chars")


def task_run(task: tasks.Task, metric: float, bias: float = 1.0):
    info = {"seed": 0, "steps": 300, "forget_bias": bias}
    return SimpleNamespace(explanation=SimpleNamespace(model=SimpleNamespace(task=task, info=info), metric=metric))


NO_TASK = SimpleNamespace(explanation=None)


def effect(orders: float, preview: bool = False, before: float | None = None, after: float | None = None):
    return BiasEffect(2.0, 0, 1e-3, 1e-3 * 10**orders, orders, 0.5, 0.88, before, after, preview)


def opponent(lstm_trained: bool | None, source: str):
    return SimpleNamespace(lstm_trained=lstm_trained, lstm_source=source)


def caption(e, r=NO_TASK, opp=None, lang="en") -> str:
    return words.bias_caption(e, r, opp or opponent(False, "random"), lambda c: f"/train/{c}", lang)


@pytest.mark.parametrize(
    ("orders", "way"),
    [
        (SAME_ORDERS - 0.01, "0.5 orders of magnitude: about as far back."),
        (-(SAME_ORDERS - 0.01), "0.5 orders of magnitude: about as far back."),
        (SAME_ORDERS, "0.5 orders of magnitude larger: it reaches further back."),
        (1.24, "1.2 orders of magnitude larger: it reaches further back."),
        (-SAME_ORDERS, "0.5 orders of magnitude smaller: it reaches less far back."),
        (-2.4, "2.4 orders of magnitude smaller: it reaches less far back."),
    ],
)
def test_the_forget_bias_effect_says_which_way_the_reach_moved(orders, way):
    assert f", {way}" in caption(effect(orders))


def test_a_preview_says_what_a_shift_would_do_and_an_applied_shift_what_it_does():
    assert "**Measured on these weights:** a forget-bias shift of +2 would move the forget gates from 0.50 to 0.88" in (
        caption(effect(1.0, preview=True))
    )
    assert "**Measured on these weights:** the forget-bias shift of +2 moves the forget gates" in caption(effect(1.0))


def test_the_lesson_holds_on_untrained_weights_only_where_the_reach_grows():
    assert "The forget-bias lesson holds here" in caption(effect(SAME_ORDERS))
    assert "lesson" not in caption(effect(SAME_ORDERS - 0.1))
    assert "lesson" not in caption(effect(2.0), opp=opponent(None, "file")), "an upload's training is unknown"


def test_trained_weights_whose_reach_does_not_grow_are_told_the_bias_belongs_before_training():
    r = task_run(BRACKETS, 1.0, bias=1.0)
    said = caption(effect(0.2, True, 1.0, 1.0), r, opponent(True, "shipped"))
    assert "; its per-step accuracy 1.000 would stay the same." in said
    assert "A forget bias belongs before training. Train it here from another initial forget bias" in said
    links = said.partition("and compare: ")[2]
    assert links == "[-2](/train/-2) · [-1](/train/-1) · [0](/train/0) · [+2](/train/+2) · [+3](/train/+3)"
    live = caption(effect(-0.2, False, 1.0, 1.0), r, opponent(True, "trained here"))
    assert live.endswith("trainings from other initial biases are compared below.") and "/train/" not in live
    assert "; its per-step accuracy 1.000 stays the same." in live


def test_a_metric_that_gets_worse_by_more_than_a_rounding_brings_the_lesson_even_where_the_reach_grows():
    r = task_run(BRACKETS, 0.95)
    worse = caption(effect(1.0, True, 0.95, 0.93), r, opponent(True, "shipped"))
    assert "; its per-step accuracy 0.950 would become 0.930." in worse and "belongs before training" in worse
    within = caption(effect(1.0, True, 0.95, 0.945), r, opponent(True, "shipped"))
    assert "would become 0.945" in within and "belongs before training" not in within
    # Lower is better for a loss: a larger loss is the worse one.
    loss_run = task_run(CHARS, 1.2)
    assert "belongs before training" in caption(effect(1.0, False, 1.2, 1.25), loss_run, opponent(True, "shipped"))
    assert "belongs before training" not in caption(effect(1.0, False, 1.2, 1.0), loss_run, opponent(True, "shipped"))
    assert "; its next-character loss 1.200 becomes 1.000." in caption(
        effect(1.0, False, 1.2, 1.0), loss_run, opponent(True, "shipped")
    )


def test_costs_metric_counts_only_a_change_for_the_worse_beyond_a_rounding():
    assert words.costs_metric(BRACKETS, 0.9, 0.889) and not words.costs_metric(BRACKETS, 0.9, 0.891)
    assert not words.costs_metric(BRACKETS, 0.9, 0.99)
    assert words.costs_metric(CHARS, 1.0, 1.011) and not words.costs_metric(CHARS, 1.0, 0.5)
    assert not words.costs_metric(BRACKETS, None, 0.5)


def test_an_lstm_without_biases_is_told_there_is_nothing_to_shift():
    assert caption(None) == "This LSTM has no biases (bias=False): there is no forget bias to shift."


def test_the_loss_picker_offers_the_task_loss_only_on_a_task_run_by_the_names_before_the_colon():
    plain, task = words.loss_choices(False), words.loss_choices(True)
    assert list(plain) == list(LOSSES) and list(task) == [*LOSSES, TASK_LOSS]
    assert plain == {k: v.split(":")[0] for k, v in LOSSES.items()}
    assert task[TASK_LOSS] == TASK_LOSS_WORDS.split(":")[0]
    assert words.loss_choices(True, "zh-CN") == {
        "last": "最后一步的输出",
        "every": "每一步的输出",
        "task": "任务自身的损失",
    }


def test_a_random_lstm_races_an_rnn_of_its_sizes_in_the_plural_and_the_direction_they_have():
    r = run(LSTMConfig(input_size=3, hidden_size=5, num_layers=2, bidirectional=True, batch=1, seq_len=4, seed=7))
    opp = SimpleNamespace(rnn_source="same seed", lstm_source="random", trained=False, lstm_trained=False)
    race = words.race(r, opp)
    assert race.startswith("**The race: untrained against untrained.** LSTM: random weights drawn from seed 7.")
    assert "(input 3, H 5, 2 layers, bidirectional), untrained, drawn from the same seed. Neither" in race
    one = run(LSTMConfig(input_size=3, hidden_size=5, batch=1, seq_len=4))
    assert "(input 3, H 5, 1 layer), untrained" in words.race(one, opp)
    assert "（输入 3，H 5，2 层，双向），未训练，用同一随机种子抽取。两者" in words.race(r, opp, "zh-CN")


def test_a_shipped_model_races_trained_against_trained_with_the_recipe_and_both_metrics():
    r = run(RunSpec(LSTMConfig(batch=2, seq_len=40), TaskSource("brackets")))
    opp = SimpleNamespace(rnn_source="shipped", lstm_source="shipped", trained=True, lstm_trained=True, metric=0.9852)
    race = words.race(r, opp)
    assert race.startswith("**The race: trained against trained**, one recipe (H 4, seed 0, 300 Adam steps on ")
    assert f"LSTM (shipped, initial forget bias +1): per-step accuracy {r.explanation.metric:.3f}." in race
    assert "Plain tanh RNN (shipped beside the LSTM, trained by scripts/make_task_weights.py): per-step accuracy " in (
        race
    )
    assert race.endswith("0.985; both on the same 256 fresh sequences (higher is better).")
    zh = words.race(r, opp, "zh-CN")
    assert zh.startswith("**比赛：训练好的对训练好的**，同一套训练方案（H 4，随机种子 0，300 步 Adam")
    assert "逐步准确率 0.985" in zh and "(" not in zh.partition("逐步准确率")[2].partition("。")[0]


def test_the_race_table_writes_every_number_and_says_where_lower_is_better():
    races = [TaskRace("brackets", 0.99, 0.5, 3.2e-1, 3.5e-2, 0.96), TaskRace("chars", 0.6, 0.97, 1e-3, 1e-2, -1.04)]
    table = words.race_table(races, lambda name: f"/t/{name}").splitlines()
    assert table[0].startswith("| task | metric | LSTM | plain RNN |") and len(table) == 4
    assert (
        table[2] == "| [bracket depth](/t/brackets) | per-step accuracy | 0.990 | 0.500 | 3.20e-01 | 3.50e-02 | +1.0 |"
    )
    assert table[3].startswith("| [characters of real text](/t/chars) | next-character loss (lower is better) |")
    assert table[3].endswith("| -1.0 |")


def test_siblings_mark_the_run_itself_and_offer_to_train_only_the_missing_biases():
    sibs = [BiasSibling(0.0, False, 1e-3, 0.9), BiasSibling(2.0, True, 2e-2, 0.98)]
    lines = words.sibling_lines(sibs, BRACKETS).splitlines()
    assert lines == [
        "- initial forget bias 0: ‖dL/dc‖ 1.00e-03, per-step accuracy 0.900",
        "- initial forget bias +2 (this one): ‖dL/dc‖ 2.00e-02, per-step accuracy 0.980",
    ]
    links = words.sibling_links(sibs, lambda c: f"/train/{c}")
    assert [label for label, *_ in links] == [f"train from forget bias {c}" for c in ("-2", "-1", "+1", "+3")]
    assert all(href == f"/train/{label.rsplit(' ', 1)[1]}" for label, href, _, _ in links)


def test_titles_name_the_runners_where_they_are_read_and_the_shift():
    title = words.norms_title(TRAINED, 1, True, 2, -1.5)
    assert title == (
        "How far back the gradient reaches: trained LSTM vs trained plain RNN, layer 1 reverse, batch item 2, "
        "forget bias -1.5"
    )
    assert words.norms_title(UNTRAINED, 0, False, 0).endswith("batch item 0")
    assert words.heat_title("rnn", TRAINED) == ("dL/dh_t", "RNN hidden state (trained): log10 |dL/dh_t|")
    assert words.heat_title("c", UNTRAINED) == ("dL/dc_t", "LSTM cell state: log10 |dL/dc_t|")
    assert words.saturation_title(0, False, 3.0) == "Saturated gates, layer 0 forward, forget bias +3"
    zh = words.norms_title(TRAINED, 0, False, 0, 3.0, "zh-CN")
    assert zh == "梯度能传回多远：训练好的 LSTM 对比训练好的普通 RNN，第 0 层正向，批中的第 0 条序列，遗忘门偏置 +3"


def test_chinese_sentences_follow_one_another_without_a_space_and_keep_their_numbers():
    v = words.verdict(reach(4.2), TRAINED, "zh-CN")
    assert v.text.startswith(
        "在第一步（t = 0），训练好的 LSTM 的 ‖dL/dc_t‖ 比训练好的 RNN 的 ‖dL/dh_t‖ 大 **4 个数量级**"
    )
    random = words.verdict(reach(0.2), Runners("untrained", "untrained", True), "zh-CN").text
    assert "延续得更久。这些随机权重" in random
    said = caption(effect(1.0, True), lang="zh-CN")
    assert said.startswith("**在这些权重上实测**：若把遗忘门偏置平移 +2") and "大了 1.0 个数量级" in said
    assert "。遗忘门偏置的经验在这里成立" in said
    assert words.metric_name(BRACKETS, "zh-CN") and not {"(", "（"} & set(words.metric_name(BRACKETS, "zh-CN"))


def test_the_bias_words_are_the_sidebars():
    assert [words.bias_words(b) for b in (0.0, 1.0, -2.0, 0.5)] == ["0", "+1", "-2", "+0.5"]
    assert words.other_biases(1.0) == ["-2", "-1", "0", "+2", "+3"]
