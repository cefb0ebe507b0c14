"""The explorer's prose: control tooltips, "what am I looking at" panels and the About text."""

SEEDS_HELP = ("Training seeds K: the original, the retrained model and every method run once per seed k (initial "
              "weights and batch order from seed + k, the method's noise from seed + k), on the same data and forget "
              "set. With K ≥ 2 the verdict judges the direction against training noise (a paired 95 % interval over "
              "seeds) and the report gives means, intervals, the noise floor and per-point ε and KLoM. The 2D "
              "animation draws every seed's boundaries (the background is seed 0's) and bands over the seeds.")

HELP = {
    "ds": "Which 2D toy dataset to generate. Changing it resets the dataset fields to that dataset's defaults.",
    "seed": "Random seed of the data and of the model's initial weights. Same seed, same run.",
    "seeds": SEEDS_HELP,
    "method": "The unlearning method run by Unlearn. Retraining from scratch is always computed as the reference.",
    "preset": "Named settings of the method and where their numbers come from.",
    "device": "Where the model trains and unlearns. 'auto' prefers a GPU when there is one.",
    "compare": ("Other registered methods to run on the same forget set when you press Unlearn, each at its default "
                "settings (the 'explorer' preset where it has one), measured against the same retrained model. "
                "Each adds its own time; the main method's animation is unchanged. Methods that only forget whole "
                "classes (unsir, emmn) say so instead of running when the forget set is not one class."),
    "zero_shot": ("Only offer zero-shot methods: those that never see the retain data or training-set statistics "
                  "(by the registry's data-access declarations)."),
    "anim_method": "Which method's trajectory the animation above shows (the main method or a compared one).",
    "sweep_sigmas": "σ values (comma-separated, > 0): columns of the heatmaps. Default: 4 log-spaced values from σ/10 to 10·σ, σ from the sidebar.",
    "sweep_etas": "η values (comma-separated, > 0): rows of the heatmaps. Default: 4 log-spaced values from η/10 to 10·η, η from the sidebar.",
    "sweep_method": ("The method the sweep runs: every registered method (a method module added to "
                     "explorer/unlearning/ appears here too). JiT sweeps σ × η by default; another method its first two "
                     "numeric settings, each pickable."),
    "sweep_values": ("Values of this setting (comma-separated), each within the range the method declares for it; "
                     "the other settings as in the sidebar. Default: a quarter to four times the current value."),
    "sweep_guard": ("On: every cell runs with the explorer's own step guard (max_step_change, not in the paper or its "
                    "code), which shortens any step that would move an output at the forget points by more than it "
                    "allows, so large η mostly takes the same bounded steps. Off: plain JiT steps, as published, where "
                    "large η collapses the model. The chart's title says which ran."),
    "figure_guard": ("The explorer's own step guard (max_step_change, not in the paper or its code): after each JiT "
                     "step it shortens the step until no output at the forget points and their perturbations moved "
                     "by more than this. On: the explorer's default JiT. Off: plain JiT steps, as the paper describes "
                     "them. Flipping it redraws the figure."),
    "sweep_run": ("Run JiT once per (σ, η) on this scenario and forget set (the other JiT settings as in the sidebar), "
                  "against the cached retrained model. A 4×4 grid takes seconds on a laptop CPU."),
}

PANEL_HELP = {
    "editor": ("**What am I looking at?** The training set over the original model's prediction "
               "(colour = predicted class, paler = less sure; the line is the decision boundary). "
               "Click a point to forget it (click again to un-forget), shift-click to add more, or pick "
               "*Box select* / *Lasso select* in the chart's toolbar and drag to add every point inside (after a drag "
               "the chart is back to clicking). Forgotten points are crosses."),
    "animation": ("**What am I looking at?** Left: the model during unlearning — background = predicted class and "
                  "confidence, solid pink line = its current boundary, faint grey = the original boundary, black dashed = "
                  "the model retrained without the forget set (the gold standard). Right: each metric per step with "
                  "the retrained value (dashed) and the original value (dotted); the dot follows the slider. "
                  "Press ▶ Play or drag the slider. With several training seeds: thin dashed lines = each seed's "
                  "retrained boundary, thin pink lines = each seed's boundary under the method, faint grey = the "
                  "originals; the points are filled by their KLoM (how differently the method and the retrained models "
                  "treat each point, 0 = alike); each metric is a band from the lowest to the highest seed around the "
                  "seeds' mean."),
    "side": ("**What am I looking at?** The models side by side (original, unlearned, retrained, then each method "
             "chosen under *Compare with*), final state only: does the unlearned boundary look like the retrained "
             "one? Key scores are in each panel's corner."),
    "compare": ("**What am I looking at?** Every method that ran on this forget set, with each metric, its signed gap "
                "to the retrained model (0 = indistinguishable from retraining on that number), the average absolute "
                "gap over retain/forget/test accuracy and SalUn's MIA-Efficacy (SalUn's Avg. Gap), time, and whether the method is "
                "zero-shot (never sees the retain data)."),
    "sweep": ("**What am I looking at?** JiT run once per (σ, η) cell on this forget set; each heatmap is one metric "
              "(rows η, columns σ). Look for the window where forget and test accuracy stay near the retrained model's, "
              "retain accuracy stays high and the average gap is small; large η or σ is where plain JiT collapses, tiny "
              "ones change nothing. The explorer's step guard (the switch; its setting is in the chart's title) "
              "bounds each step, so with it on large η mostly looks like small η: switch it off to see the "
              "unguarded windows."),
    "info": ("**What am I looking at?** The paper's explanation of *why* some points matter. α(x) = share of a "
             "point's neighbours with its own label: low α (big, dark markers) = the point carries information "
             "the rest of the data does not, so retraining without it moves the boundary. The background is the "
             "model's local Lipschitz estimate (how fast the output changes near each place), before and after: "
             "JiT flattens it around the forget points."),
}

FIG2_CAPTION = (
    "Each row forgets one target point of class 1 (the cross). The retrained model is the gold standard: "
    "removing the **high-information** point (top) lets the boundary move toward class 1, removing the "
    "**low-information** point (bottom) changes almost nothing. JiT should reproduce the retrained boundary in both "
    "rows; greedy unlearning (training the target toward a wrong label) swings the boundary far more than "
    "retraining does. JiT runs as the line above the figure names it: with the explorer's own step guard (not in the "
    "paper) unless the switch is off. Faint grey = the original boundary. Paper: Foster et al., arXiv 2402.01401, "
    "Figure 2.")
FIG2_INTRO = ("**The paper's Figure 2 in one click**: `two_blobs`, forgetting its high-information target and "
              "its low-information target, each shown as retrain | JiT | greedy.")

ABOUT = """
**What is this?** A small classifier is trained on 2D toy data. You choose training points to *forget*;
an unlearning method then edits the trained model so it behaves as if those points had never been seen.
The gold standard is retraining from scratch without them, which this app also does, so you can compare.

**JiT** (Just in Time, zero-shot) never looks at the rest of the training data: it perturbs each forget
point with Gaussian noise (σ) and takes SGD steps (η) that make the model's output change less around it —
it lowers the model's local Lipschitz constant there. Points near the boundary (low α(x), high information)
move the boundary when forgotten; points deep inside a class barely matter. The *Paper Figure 2* tab shows both.

**Tips.** Hover any control for help. Everything (settings and forget set) is in the URL. The CLI runs the
same scenario: download *Scenario JSON* and run `python -m explorer run --scenario scenario.json`.
"""

IMAGE_HELP = {
    "dataset": "Both ship inside installed packages: nothing is downloaded.",
    "model": ("cnn: conv-pool-conv-pool-dense (its penultimate features can drive the map); "
              "mlp: dense layers on the flattened pixels."),
    "seed": "Seeds the train/test split, the initial weights, the random forget set and the methods' noise.",
    "seeds": SEEDS_HELP,
}

ATLAS_INTRO = ("**Which points matter, and does the method know?** For every training point: retrain without it "
               "(its true influence: how much of the grid changes label), let the method forget it alone, and set "
               "both beside the paper's information score α(x) and the original model's local Lipschitz estimate. "
               "The paper's claim is that low-α, high-Lipschitz points are the ones whose removal changes the "
               "model. Click a point to open it as the forget set of the 2D explorer.")
ATLAS_HELP = {
    "explorer_data": "The data you edited or uploaded in the 2D explorer (this session), with its model and training "
                     "defaults; untick to pick a toy here.",
    "dataset": "A 2D toy. The atlas retrains once per training point: keep the set small for a quick look.",
    "samples": "Points generated (a quarter go to the test set); the atlas trains one model per training point.",
    "seed": "Seeds the data, the initial weights and the method's noise.",
    "method": "The method that forgets each point alone (JiT runs all points as one vectorised run).",
    "compute": "Retrains without each training point and runs the method on each; cached for these settings.",
    "point": "The point whose numbers are shown; clicking one on the map picks it.",
    "loo_seeds": "1: leave-one-out of the scenario's training seed. K: every model-dependent number is the mean over "
                 "K training seeds (K atlases). A second seed's atlas is computed either way for the noise floor: how "
                 "well one seed's leave-one-out map ranks another's.",
}

LESSONS_INTRO = ("Short guided lessons on machine unlearning. Each step loads its own scenario and forget set and "
                 "runs the real engine; where a step asks you to **predict**, answer first, then the engine's numbers "
                 "say whether you were right and why. The numbers are what was computed, including when JiT does not "
                 "do what the paper's figures suggest.")

# Classroom mode (?classroom=1): no sidebar nor its toggle, larger text for a projector.
CLASSROOM_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarNav"],
[data-testid="stExpandSidebarButton"] {display: none !important;}
html, body, [data-testid="stAppViewContainer"] {font-size: 1.3rem;}
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li {font-size: 1.3rem;}
</style>"""

PANEL_HELP["editor_1d"] = ("**1-D data.** Each training point sits at its class (0 or 1) on the vertical axis; the red "
                           "curve is the model's probability of class 1 over x. **Click** a point to add it to the "
                           "forget set (click again to remove it); box and lasso select several.")

FIG3_INTRO = ("**The paper's Figure 3, run by the engine.** One click trains a model with no hidden layer (so its "
              "class-1 probability is exactly a sigmoid) on the `line` data, then runs JiT once for each of the "
              "figure's 17 forget points (x = −4 … 4), each from the same original model — the explorer's default JiT, "
              "with its own step guard (not the paper's; the switch runs it without, and the caption names which). "
              "Red: the original curve "
              "and the points on it; grey: the curve after each run; black: each point's value on its new curve, "
              "joined to the old value. The slider walks JiT's steps. The caption below lists every |Δf|: read "
              "off whether the flat tails move less than the steep middle, and in which direction each point moved.")
