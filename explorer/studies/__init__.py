"""Many runs at once: the job runner, the σ×η sweep, the calibration study, the atlas."""
