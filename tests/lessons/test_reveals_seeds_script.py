"""scripts/lesson_reveals_seeds.py's summaries on constructed per-seed values (the script itself trains; its run
is a measurement, reported in the README)."""
import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "lesson_reveals_seeds.py"
spec = importlib.util.spec_from_file_location("lesson_reveals_seeds", SCRIPT)
script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(script)


def test_summary_gives_each_seed_the_mean_and_the_range():
    text = script.summary([0.01, 0.03, 0.02])
    assert text == "1.0 %, 3.0 %, 2.0 %; mean 2.0 % (range 1.0 % to 3.0 %)"
    assert "mean -0.2" in script.summary([-0.25, -0.15], percent=False)


def test_paired_judges_the_differences_against_noise():
    assert "first larger, beyond noise" in script.paired([0.5, 0.52, 0.49, 0.51], [0.1, 0.12, 0.1, 0.11])
    assert "within training noise" in script.paired([0.1, 0.3, 0.2, 0.1], [0.2, 0.1, 0.2, 0.2])
    assert "one seed cannot tell" in script.paired([0.1], [0.2])


def test_the_paired_comparisons_name_reported_numbers():
    reported = {(lesson, view, name) for (lesson, view), names in script.REPORTED.items() for name in names}
    assert all(first in reported and second in reported for _, first, second in script.PAIRED)
