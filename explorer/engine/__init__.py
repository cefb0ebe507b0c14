"""Models and how they are trained: device, architectures, the trainer, the batched trainer, trajectories."""
