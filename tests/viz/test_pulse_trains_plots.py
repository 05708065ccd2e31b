"""hhlib.viz.pulse_trains: notebook 07's figures draw the cached arrays they are given, on given axes, never shown."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from hhlib.studies import phast_compare as pc  # noqa: E402
from hhlib.studies import pulse_trains as pt  # noqa: E402
from hhlib.studies.cache import cached  # noqa: E402
from hhlib.viz import pulse_trains as V  # noqa: E402


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plot helpers must not call plt.show()"))
    yield
    plt.close("all")


def test_probe_probability_one_series_per_model_with_wilson_bars():
    rec = cached(pt.recovery_curves, progress=False)
    _, ax = plt.subplots()
    assert V.plot_probe_probability(rec, ax) is ax
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert names == [k[:-2] for k in rec if k.endswith("_p")]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), rec[f"{names[0]}_p"])
    assert "(ms)" in ax.get_xlabel()


def test_facilitation_draws_models_and_every_dynes_masker():
    fac = cached(pt.facilitation_curves, progress=False)
    ax = V.plot_facilitation_ratios(fac)
    labels = [line.get_label() for line in ax.get_lines()]
    assert sum(lab.startswith("Dynes") for lab in labels) == np.unique(fac["dynes_masker_dB"]).size
    assert "SEED_MODEL" in labels and "dynes" not in labels


def test_accommodation_and_adaptation_bars_equal_the_arrays():
    acc = cached(pt.accommodation, progress=False)
    ax = V.plot_accommodation(acc)
    heights = [p.get_height() for p in ax.patches]
    names = [k[:-5] for k in acc if k.endswith("_step")]
    assert heights[: len(names)] == [acc[f"{n}_step"][-1, -1] for n in names]
    ada = cached(pt.adaptation, progress=False)
    ax2 = V.plot_adaptation(ada, rate_pps=1000.0)
    assert "1000 pulses/s" in ax2.get_title()
    first = [k[:-9] for k in ada if k.endswith("_onset_hz")][0]
    assert ax2.patches[0].get_height() == ada[f"{first}_onset_hz"][-1][0]


def test_train_rates_isi_am_and_phast_panels():
    tr = cached(pt.train_responses, progress=False)
    ax = V.plot_train_rates(tr, "SEED_MODEL")
    assert len(ax.get_lines()) == tr["levels"].size and list(ax.get_xticks()) == list(tr["rates_pps"])
    ax = V.plot_isi_histogram(tr, "SEED_MODEL", level_index=2)
    np.testing.assert_allclose(ax.get_lines()[-1].get_ydata(), tr["SEED_MODEL_isi_hist"][-1, 2])
    am = cached(pt.am_response, progress=False)
    ax = V.plot_am_response(am)
    assert ax.get_ylabel() == "rate (spikes/s)"
    phast = cached(pc.phast_comparison, progress=False)
    ax = V.plot_phast_trains(phast)
    assert [line.get_label() for line in ax.get_lines()] == ["PHAST", "SEED_MODEL", "NEGM_BRUCE2014"]
    assert ax.get_lines()[0].get_ydata()[-1] == float(phast["PHAST.train5000_sustained_rate"])
