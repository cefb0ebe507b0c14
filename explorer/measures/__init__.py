"""What a model is measured by: the metric registry, the evaluator, the verdict, the comparison."""
