def run_phase(
    buffers: list, patterns: list[tuple[int, bool, int, int, int]], duration_us: int,
    batch: int = 131072, seed: int = 1,
) -> tuple[int, int]: ...
