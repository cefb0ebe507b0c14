"""The guided lessons as data: each lesson's title, summary and steps (text, scenario key, view key, forget set
and the question asked before the engine runs). Nothing here computes; :mod:`explorer.lessons.steps` does."""
from __future__ import annotations

from explorer.lessons.model import LESSONS, Lesson, Question, Step

# ----------------------------------------------------------------------------------------------
# the lessons

Q = Question


def _lesson(name, title, summary, *steps) -> None:
    LESSONS[name] = Lesson(name, title, summary, tuple(steps))


_lesson(
    "forgetting", "What does it mean to forget?",
    "Retraining without a point is the definition of forgetting it; where the point sits decides how much changes.",
    Step("Two points to forget",
         "A small network was trained on the two moons. We will forget one of two training points: **A** lies deep "
         "inside its class, **B** is the training point the model is least sure about, right at the boundary. "
         "Both are marked with a cross.", "moons", "data2d", ("deep", "boundary")),
    Step("Retrain without each",
         "The cleanest way to forget a point is to train again from the same start without it. We do that twice: "
         "once without A, once without B. Predict first.", "moons", "retrain_pair", ("deep", "boundary"),
         Q("Which retrained model's boundary moves more, compared with the original?",
           (("deep", "the one without A (deep inside)"), ("boundary", "the one without B (on the boundary)"),
            ("neither", "neither moves it visibly")))),
    Step("Retrain twice",
         "Retraining is itself random: the initial weights and the order of the batches come from a training seed. "
         "We retrain without B eight times, each with its own seed, on the same data. Predict first.",
         "moons_seeds", "two_retrainings", ("boundary",),
         Q("Do two models retrained without B, differing only in their training seed, draw the same boundary?",
           (("same", "yes, the same boundary"), ("close", "close, but they disagree on a few % of the plane"),
            ("far", "no, they disagree on a tenth of the plane or more")))),
    Step("Retraining is the gold standard",
         "Retraining is exact but costs a whole training run. Zero-shot methods such as JiT (Foster et al.) only "
         "see the forget point. Here JiT forgets B; we measure how close it gets to the retrained model.",
         "moons", "run2d", ("boundary",),
         Q("Will JiT's final boundary agree with the retrained boundary more than the untouched original does?",
           (("closer", "yes, JiT ends closer to the retrained model"), ("not_closer", "no, not closer than the original"))
           )),
)

_lesson(
    "information", "High- and low-information points (the paper's Figure 2)",
    "Forgetting a point the model had to bend for changes a lot; forgetting a typical point changes little.",
    Step("Two targets",
         "The paper's Figure 2 setting: two Gaussian clusters and two extra class-1 points. The **high-information "
         "target** sits on class 0's side of the gap, the **low-information target** deep inside class 1.",
         "two_blobs", "data2d", ("high_information_target", "low_information_target")),
    Step("Forget each target",
         "Each row forgets one target: retrained (the gold standard), JiT, and greedy mislabelling for comparison. "
         "Predict first.", "two_blobs", "figure2", ("high_information_target", "low_information_target"),
         Q("For which target does retraining change the boundary more?",
           (("high", "the high-information target"), ("low", "the low-information target"),
            ("same", "both the same")))),
    Step("α(x) explains it",
         "The paper scores a point's information by how much its neighbourhood agrees with its label. Here α(x) is "
         "the share of its neighbours with the same label.", "two_blobs", "alpha",
         ("high_information_target", "low_information_target")),
)

_lesson(
    "sigmoid", "Why smoothing forgets (the paper's Figure 3)",
    "On a 1-D sigmoid, JiT barely moves the flat tails and moves the steep part most, but not always toward 0.5.",
    Step("A sigmoid on a line",
         "Two classes on a line: class 1 becomes more likely as x grows. A model with no hidden layer fits it, so its "
         "class-1 probability is exactly a sigmoid.", "line", "line"),
    Step("Forget one point at a time",
         "As in the paper's Figure 3, JiT is run once for each red point, from the same original model, and we "
         "record its value on the new curve. Predict first.", "line", "figure3",
         question=Q("Where does the value at the forgotten point change most?",
                    (("tails", "at the flat tails (x = ±4)"), ("slopes", "on the slopes (x = ±2)"),
                     ("middle", "in the middle (x = 0)")))),
    Step("With the gradient through both sides",
         "The published code treats the perturbed outputs as constants, so each step pulls f(x) toward the perturbed "
         "values with weights 1/|x − x̃|: in 1-D the perturbations nearest x set the direction, and the curve can "
         "slide sideways. Let the gradient flow through them too, and JiT lowers the local "
         "slope at the point for real: a sigmoid's slope at |x| beyond about 1.5 falls when the curve gets steeper, "
         "so there the curve may steepen rather than flatten. The numbers say what happened here.",
         "line_grad", "figure3_grad"),
)

_lesson(
    "jit", "How JiT works: perturb, measure, flatten",
    "JiT perturbs the forget point, measures how much the output changes, and takes gradient steps that flatten it.",
    Step("Perturb and measure",
         "JiT never sees the rest of the data. It copies the forget point with Gaussian noise of size σ and compares "
         "the model's outputs: a big change over a small step means the model is steep there.", "line", "perturb"),
    Step("Flatten, step by step",
         "On the two moons, JiT forgets the boundary point B. Press Play to watch the boundary over the steps; the "
         "numbers below say when it moved. The explorer runs JiT with a **step guard** of its own (not in the paper "
         "or its code): a step that would move an output at B or its perturbations by more than 0.05 is shortened, "
         "so the boundary travels instead of jumping. The run without it, plain JiT as the paper describes it, is "
         "one click below.", "moons", "jit_run", ("boundary",)),
    Step("What σ and η do",
         "σ sets how far the perturbations reach, η how big each step is. A 3 × 3 sweep runs JiT for each pair, "
         "twice: with plain JiT steps, as in the paper, and with the explorer's step guard.",
         "moons", "sweep", ("boundary",),
         Q("At the largest step size η = 0.2, does plain JiT (without the explorer's step guard) keep its test "
           "accuracy?",
           (("holds", "yes, within 5 points of the original"), ("collapses", "no, it collapses somewhere")))),
)

_lesson(
    "privacy", "Can an attacker tell? Membership inference",
    "A membership attack guesses which points were trained on; after random forgetting the goal is the retrained "
    "model's answer, not zero, and a per-point attack looks at each point the population attack averages over.",
    Step("Forget a random 10 %",
         "This time the forget set is a random 10 % of the training points (crosses): a request from users who "
         "leave, not a cluster of special points.", "moons", "data2d", ("random",)),
    Step("Should the forgotten points be misclassified?",
         "A naive goal is forget accuracy 0. But random points look like the rest of their class. Predict first.",
         "moons_random", "forget_acc", ("random",),
         Q("What is the retrained model's accuracy on the forgotten random points?",
           (("zero", "near 0: it never saw them"), ("test", "about its test accuracy"),
            ("train", "higher than its test accuracy, like the training points")))),
    Step("The attack before and after",
         "The attack (the entropy attack of the published JiT code, jwf40/Information-Theoretic-Unlearning) learns, from the retain set (members) and the test set "
         "(non-members), which prediction entropies mean \"member\", then labels each forgotten point. The goal is "
         "the retrained model's member share, not zero.", "moons_random", "mia", ("random",),
         Q("Does JiT lower the share of forgotten points the attack calls members?",
           (("down", "yes, it goes down"), ("same", "no, it stays or goes up")))),
    Step("Point by point",
         "That attack asks one question of all points at once. A per-point attack asks it of each point: it trains "
         "reference models with the same recipe, each on a random half of the data, so for every point it knows what "
         "a model's confidence looks like with and without it. U-LiRA (Hayes et al.) goes further: its reference "
         "models were trained on the point and then had it unlearned by JiT, so it recognises what JiT leaves behind. "
         "Predict first.", "moons_random", "audit", ("random",),
         Q("Can the per-point attack still tell JiT's forgotten points from how the retrained model sees them?",
           (("yes", "yes: under JiT they still look more like trained-on points"),
            ("no", "no: under JiT they look as they do under the retrained model")))),
)

_lesson(
    "oddpoint", "One odd point",
    "Put one mislabelled point deep inside the other class, watch the boundary bend to fit it, then forget it: "
    "retraining undoes the bend by definition; how much of it does JiT undo?",
    Step("One odd point",
         "The two moons again, with one point added by hand (the explorer's **Edit data** mode, preset “add an "
         "outlier”): a point of class 0 deep inside class 1, marked with a cross. The background is a model trained "
         "without it.", "odd_point", "odd_data", ("odd",)),
    Step("Train with it",
         "Now the model trains on the data with the odd point, from the same start with the same recipe. Predict "
         "first.", "odd_point", "train_with", ("odd",),
         Q("What does the boundary do when the model trains with the odd point?",
           (("fit", "it bends around the point, far enough to call it class 0"),
            ("toward", "it bends toward the point, but not far enough to call it class 0"),
            ("ignore", "it stays as it was: one point among 120 does not matter")))),
    Step("Forget it by retraining",
         "To forget the odd point exactly, train again from the same start without it. Predict first.",
         "odd_point", "forget_retrain", ("odd",),
         Q("Is the retrained model the same as a model that never saw the odd point?",
           (("same", "yes, the same model"), ("close", "close, but not the same"),
            ("different", "no, it remembers something of the point")))),
    Step("Forget it with JiT",
         "JiT sees only the odd point: it smooths the model around it. Of the grid cells the odd point had bent, how "
         "many does JiT give back? Predict first.", "odd_point", "forget_jit", ("odd",),
         Q("How much of the bend does JiT undo?",
           (("most", "most of it, as retraining does"), ("some", "some of it"), ("little", "little or none of it")))),
)
